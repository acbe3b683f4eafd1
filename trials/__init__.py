"""Trials of the menu's wording: define, allocate, analyse (issue 8)."""
from __future__ import annotations

import staff  # the package, not its names: `staff` may still be importing when the app factory imports this
from trials.views import bp


def init_app(app) -> None:
    """Register the trial pages (admin role) and their link in the staff navigation."""
    app.register_blueprint(bp)
    staff.add_nav_item(app, "Trials", "trials.index", "admin")
