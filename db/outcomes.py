"""Query functions for the report's measures: MASH contacts by outcome, by school, by time and by DSL."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, select

from db.daily_stats import london_hour, utc_hour
from db.models import Contact, Dsl, Route

UNDECIDED = "undecided"  # no outcome yet: still received or being assessed


def _outcome_key():
    """A contact's outcome, or UNDECIDED while it has none."""
    return case((Contact.outcome.is_not(None), Contact.outcome), else_=UNDECIDED)


def _mash_contacts(start: datetime, end: datetime) -> list:
    # MASH's own decisions (EDT's too, out of hours): the services' contacts note advice, not referrals.
    return [Contact.created_at >= start, Contact.created_at < end, Contact.service.in_(Route.URGENT_LINES)]


def get_outcomes_by_school(session: Session, start: datetime, end: datetime) -> list[tuple[int | None, str, int]]:
    """(school URN or None, outcome or 'undecided', contacts) of MASH and EDT contacts made in [start, end)."""
    key = _outcome_key()
    rows = session.exec(select(Contact.school_urn, key, func.count()).where(*_mash_contacts(start, end))
                        .group_by(Contact.school_urn, key))
    return [(urn, outcome, int(n)) for urn, outcome, n in rows]


def get_outcomes_by_time(session: Session, start: datetime, end: datetime) -> list[tuple[int, int, str, int]]:
    """(London weekday, London hour, outcome or 'undecided', contacts) of the contacts made in [start, end)."""
    key, hour = _outcome_key(), utc_hour(session.get_bind().dialect.name, Contact.created_at)
    rows = session.exec(select(hour, key, func.count()).where(*_mash_contacts(start, end)).group_by(hour, key))
    found: dict = {}
    local_hours: dict = {}  # each UTC hour converted once: a year has 8,760 hours, however many contacts
    for hour_text, outcome, n in rows:
        if hour_text not in local_hours:
            local = london_hour(hour_text)
            local_hours[hour_text] = (local.weekday(), local.hour)
        key = (*local_hours[hour_text], outcome)
        found[key] = found.get(key, 0) + int(n)
    return [(*where, n) for where, n in found.items()]


def get_outcomes_by_dsl(session: Session, start: datetime, end: datetime) -> list[tuple[int, str, int]]:
    """(DSL id, outcome or 'undecided', contacts) of the contacts made in [start, end) by a registered DSL's call."""
    key = _outcome_key()
    rows = session.exec(select(Contact.dsl_id, key, func.count())
                        .where(*_mash_contacts(start, end), Contact.dsl_id.is_not(None)).group_by(Contact.dsl_id, key))
    return [(dsl_id, outcome, int(n)) for dsl_id, outcome, n in rows]


def get_dsl_training_dates(session: Session) -> dict[int, object]:
    """Every registered DSL's id and the date of their DSL training (None: not trained)."""
    return dict(session.exec(select(Dsl.id, Dsl.trained_on)).all())
