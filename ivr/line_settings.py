"""The line's settings for every webhook and the worker: the revision checked cheaply each time, the whole state
reloaded only when it moved, and the last good state (or the environment's) whenever the database cannot be read.

Supervisors change them through the `line` package; this module only reads them, below every feature that
needs them (the live call, the outbound calls' webhooks, the worker)."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from datetime import datetime

from flask import current_app, g
from sqlmodel import Session

from db.line import get_current_notices, get_line_config, get_line_revision, get_menu_version
from db.session import get_session
from ivr.config import Settings
from routing import prompts
from routing.hours import OpeningHours
from routing.line import LINES, SERVICES_WITH_HOURS, LineState, Notice
from routing.menu import DEFAULT_WORDING, wording_from
from routing.vocabulary import Route

log = logging.getLogger("line")


def defaults_from(settings: Settings) -> LineState:
    """The state a new database starts with: the environment's hours (for every service) and numbers."""
    return LineState(hours={service: settings.opening_hours for service in SERVICES_WITH_HOURS},
                     numbers={route: settings.number_for(route) for route in LINES})


def load_state(session: Session, defaults: LineState, now: datetime) -> LineState:
    """Read every setting at its revision; anything never changed keeps its default."""
    config = get_line_config(session)
    if config is None:
        return defaults
    version = get_menu_version(session, config.menu_version) if config.menu_version else None
    notices = get_current_notices(session, now)
    as_notice = [Notice(n.id, n.say, n.starts_at, n.ends_at, n.service, n.reason) for n in notices]
    return LineState(
        hours={**defaults.hours, **{s: OpeningHours.parse(spec) for s, spec in config.hours.items()}},
        numbers={**defaults.numbers, **config.numbers},
        revision=config.revision,
        closures=tuple(n for n in as_notice if n.service is not None),
        announcements=tuple(n for n in as_notice if n.service is None),
        emergency=config.emergency,
        emergency_say=config.emergency_say or prompts.EMERGENCY,
        wording=wording_from(version.texts) if version else DEFAULT_WORDING,
        menu_version=version.version if version else None)


def settings_for(settings: Settings, state: LineState) -> Settings:
    """The app's settings with the line's numbers and MASH's hours, so every step of a call uses the same ones."""
    mash_closures = tuple((c.starts_at, c.ends_at) for c in state.closures if c.service == Route.MASH)
    return replace(settings, opening_hours=state.hours[Route.MASH], mash_closures=mash_closures,
                   mash_number=state.numbers[Route.MASH],
                   dsl_infoline_number=state.numbers[Route.DSL_INFOLINE],
                   early_help_number=state.numbers[Route.EARLY_HELP], edt_number=state.numbers[Route.EDT])


@dataclass(frozen=True)
class Line:
    """One revision of the line as a call uses it: the state, and the settings built from it."""

    state: LineState
    settings: Settings


class LineCache:
    """One per process (app): the last good revision of the line, shared by every request thread."""

    RELOAD_TRIES = 3  # a change committed mid-load is read again, so one revision's parts are never mixed

    def __init__(self, app):
        self.app = app
        self.default_state = defaults_from(app.config["SETTINGS"])
        self.good_state: LineState | None = None
        self._lines: dict[tuple[int, int], tuple[Settings, Line]] = {}
        self._lock = threading.Lock()

    def line(self, state: LineState) -> Line:
        """A revision with the app's settings as they are now (`ivr run` replaces them after the app is built)."""
        base = self.app.config["SETTINGS"]
        key = (id(base), id(state))
        held = self._lines.get(key)
        if held is not None and held[0] is base and held[1].state is state:
            return held[1]
        line = Line(state, settings_for(base, state))
        with self._lock:
            if len(self._lines) > 8:
                self._lines.clear()
            self._lines[key] = (base, line)
        return line

    @property
    def defaults(self) -> Line:
        """The environment's line: what a new database starts with."""
        return self.line(self.default_state)

    def last_good(self) -> Line:
        """The last revision read, or the environment's, with no database touched (the fail-safe's)."""
        return self.line(self.good_state or self.default_state)

    def current(self, session: Session, now: datetime) -> Line:
        """The line now: one revision read; a reload only when it moved; the last good one if either fails.

        It reads in the request's own session, ahead of the webhook's writes, so a step stays one transaction."""
        try:
            revision = get_line_revision(session)
            good = self.good_state
            if good is not None and good.revision == revision:
                return self.line(good)
            state = self.default_state
            for _ in range(self.RELOAD_TRIES if revision else 0):
                state = load_state(session, self.default_state, now)
                if get_line_revision(session) == state.revision:
                    break
        except Exception as exc:
            session.rollback()  # PostgreSQL refuses the rest of a failed transaction; nothing was written yet
            log.error("line settings unreadable; the last good revision plays", exc_info=True,
                      extra={"event": "line_settings_unreadable", "error": type(exc).__name__})
            return self.last_good()
        with self._lock:
            if self.good_state is None or self.good_state.revision <= state.revision:
                self.good_state = state
        return self.line(state)


def init_app(app) -> None:
    """Give the app its cache of the line's settings."""
    app.extensions["line_cache"] = LineCache(app)


def line_cache() -> LineCache:
    """This app's cache."""
    return current_app.extensions["line_cache"]


def line_at(app, now: datetime) -> Line:
    """The line now outside a request (the worker), read in a session of its own."""
    with Session(app.extensions["db_engine"]) as session:
        return app.extensions["line_cache"].current(session, now)


def read_first() -> None:
    """A blueprint's before_request: read the line before the webhook writes anything, so a failed read (which
    rolls the session back) never takes a write with it."""
    current_line()


def current_line() -> Line:
    """The line for this request, read once so every decision of a webhook agrees."""
    if "line" not in g:
        g.line = line_cache().current(get_session(), current_app.config["CLOCK"]())
    return g.line
