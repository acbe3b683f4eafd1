"""Supervisors run the line without a deploy: hours, closures, announcements, emergency mode, numbers and the
menu's published versions (issue 17)."""
from __future__ import annotations

from line import state
from line.views import bp
from staff import add_nav_item


def init_app(app) -> None:
    """The per-process cache of the line's settings, and the supervisor pages with their navigation links."""
    state.init_app(app)
    app.register_blueprint(bp)
    add_nav_item(app, "Line", "line.settings", "supervisor")
    add_nav_item(app, "Menu", "line.versions", "supervisor")
