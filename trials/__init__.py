"""Trials of the menu's wording: define, allocate, analyse (issue 8)."""
from __future__ import annotations


def init_app(app) -> None:
    """Register the trial pages (admin role)."""
    from trials.views import bp

    app.register_blueprint(bp)
