"""Helpers for the trial tests: a running trial in the test database."""
from __future__ import annotations

from db.session import session_scope
from routing.menu import DEFAULT_WORDING
from trials.saving import save_trial
from trials.definition import parse_definition

NORMS_CLOSING = "Most schools ring the Infoline first when they are unsure."
NORMS_OPTION2 = "Not urgent, and want advice? Press 2 for the DSL Infoline, like most schools do."


def trial_data(name: str = "social-norms", start: str = "2026-11-23", end: str = "2026-11-30", **changes) -> dict:
    """A two-variant trial running around the test clock's Tuesday (24 November 2026)."""
    data = {
        "name": name,
        "control": "control",
        "start": start,
        "end": end,
        "allocation": {"control": 50, "norms": 50},
        "variants": {"control": {}, "norms": {"option2": NORMS_OPTION2, "closing": NORMS_CLOSING}},
    }
    data.update(changes)
    return data


def make_trial(engine, now, **changes) -> int:
    """Store a trial (checked as the CLI and the form check it); return its id."""
    with session_scope(engine) as session:
        trial = save_trial(session, parse_definition(trial_data(**changes)), now, "test", DEFAULT_WORDING)
        session.flush()
        return trial.id
