"""Supervisors run the line without a deploy: hours, closures, announcements, emergency mode, numbers and the
menu's published versions (issue 17)."""
from __future__ import annotations

import staff  # the package, not its names: `staff` may still be importing when the app factory imports this
from line import views


def init_app(app) -> None:
    """The supervisor pages and their navigation links (the settings' cache is ivr/line_settings.py)."""
    app.register_blueprint(views.bp)
    staff.add_nav_item(app, "Line", "line.settings", "supervisor")
    staff.add_nav_item(app, "Menu", "line.versions", "supervisor")
