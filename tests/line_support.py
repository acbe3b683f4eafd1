"""Changing the line's settings in tests, the way a supervisor does, through line.changes in its own transaction."""
from __future__ import annotations

from db.session import session_scope
from line.changes import locked_state, publish, save_draft


def change_line(app, change, *args, actor: str = "supervisor-user"):
    """Run one line.changes function (its settings and clock are the app's) and commit it; returns its result."""
    with app.app_context(), session_scope(app.extensions["db_engine"]) as session:
        defaults = app.extensions["line_cache"].defaults.state
        return change(session, defaults, *args, actor, app.config["CLOCK"]())


def publish_wording(app, actor: str = "supervisor-user", **texts) -> int:
    """Save a draft of the playing wording with these sentences changed, and publish it; returns its version."""
    with app.app_context(), session_scope(app.extensions["db_engine"]) as session:
        defaults, now = app.extensions["line_cache"].defaults.state, app.config["CLOCK"]()
        version = save_draft(session, texts, None, actor, now, locked_state(session, defaults, now).wording)
        publish(session, defaults, version.version, actor, now)
        return version.version
