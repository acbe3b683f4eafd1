"""The report's measures per settled London month, so a year-long report need not read every contact.

A contact's outcome changes long after it was made (a decision may come weeks later), so a month's
Monthly* rows carry the version of its StatMonth row they were counted at, and save_months_changed moves
that version in the same transaction as the change (contacts.states.save_status calls it). A read rebuilds
a month whose rows are older than its version. The version is read before the contacts are counted, so
rows always hold every change up to their version: a decision saved during a build only means one more
build. Contacts stored later into a past month (imports, back-dating) are noticed by their ids, as the
daily rows notice calls. A month is settled SETTLE_AFTER its end, when no verdict is still being
answered; a range's days outside its settled whole months are read from the contacts.
"""
from __future__ import annotations

import functools
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable

from sqlalchemy import delete, func, insert, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from db.contacts import get_promise_kept
from db.daily_stats import day_bounds, first_live_day
from db.models import Contact, MonthlyOutcomeStat, MonthlyPromiseStat, MonthlyVerdictStat, StatMonth
from db.outcomes import get_outcomes_by_dsl, get_outcomes_by_school, get_outcomes_by_time
from db.verdicts import get_verdict_answers
from routing.hours import london_date

log = logging.getLogger("db.monthly_stats")
MONTHLY_TABLES = (MonthlyOutcomeStat, MonthlyPromiseStat, MonthlyVerdictStat)


@dataclass
class Measures:
    """A span's MASH and EDT contacts by outcome, promises kept and verdicts; callers sum rows with equal keys."""

    schools: list = field(default_factory=list)  # (urn or None, outcome, contacts)
    dsls: list = field(default_factory=list)  # (DSL id, outcome, contacts)
    times: list = field(default_factory=list)  # (London weekday, hour, outcome, contacts)
    promise: Counter = field(default_factory=Counter)  # (service, "decided" or "kept") -> contacts
    verdicts: Counter = field(default_factory=Counter)  # answer ("" when none) -> questions asked

    def add(self, other: "Measures") -> None:
        """Add another part of the period."""
        self.schools += other.schools
        self.dsls += other.dsls
        self.times += other.times
        self.promise.update(other.promise)
        self.verdicts.update(other.verdicts)

    def promise_kept(self) -> dict[str, tuple[int, int]]:
        """{service: (decided, kept)}, as db.contacts.get_promise_kept gives it."""
        services = sorted({service for service, _ in self.promise})
        return {s: (self.promise[s, "decided"], self.promise[s, "kept"]) for s in services}


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    """The last day of a month."""
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def split_period(first: date, last: date, now: datetime) -> tuple[list[date], list[tuple[date, date]]]:
    """The settled whole months in London days [first, last], and the (first, last) spans of days around them."""
    live_from = first_live_day(now)
    month = first if first.day == 1 else month_end(first) + timedelta(days=1)
    months = []
    while month_end(month) <= last and month_end(month) < live_from:
        months.append(month)
        month = month_end(month) + timedelta(days=1)
    if not months:
        return [], [(first, last)] if first <= last else []
    spans = [(first, months[0] - timedelta(days=1)), (month_end(months[-1]) + timedelta(days=1), last)]
    return months, [(a, b) for a, b in spans if a <= b]


def count_measures(session: Session, first: date, last: date) -> Measures:
    """The measures of London days [first, last], counted from the contacts and verdicts."""
    bounds = day_bounds(first, last)
    promise = Counter()
    for service, (decided, kept) in get_promise_kept(session, *bounds).items():
        promise[service, "decided"], promise[service, "kept"] = decided, kept
    return Measures(get_outcomes_by_school(session, *bounds), get_outcomes_by_dsl(session, *bounds),
                    get_outcomes_by_time(session, *bounds), promise, Counter(get_verdict_answers(session, *bounds)))


@functools.cache
def _month_upsert(dialect: str, bump: bool):
    """INSERT a StatMonth row; on conflict move its version on (bump) or leave it."""
    statement = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(StatMonth.__table__)
    if bump:
        return statement.on_conflict_do_update(index_elements=["month"],
                                               set_={"version": StatMonth.__table__.c.version + 1})
    return statement.on_conflict_do_nothing(index_elements=["month"])


def save_months_changed(session: Session, moments: Iterable[datetime | None]) -> None:
    """Move on the versions of the London months of these moments (a contact made or decided then changed);
    their rows are rebuilt when next read. Not committed: it belongs to the change's own transaction."""
    months = sorted({month_of(london_date(when)) for when in moments if when is not None})
    if months:
        connection = session.connection()
        connection.execute(_month_upsert(connection.dialect.name, True),
                           [{"month": m, "version": 1, "max_contact_id": 0} for m in months])


def save_new_contacts_seen(session: Session, months: list[date]) -> None:
    """Move on built months among these that gained contacts since they were built; only contacts stored since
    the last look are read, so this stays cheap."""
    marks = dict(session.exec(select(StatMonth.month, StatMonth.max_contact_id)
                              .where(StatMonth.month.in_(months), StatMonth.built_version.is_not(None))).all())
    newest = session.exec(select(func.max(Contact.id))).one() or 0
    if not marks or newest <= min(marks.values()):
        return
    stale = []
    for contact_id, *moments in session.exec(select(Contact.id, Contact.created_at, Contact.decided_at)
                                             .where(Contact.id > min(marks.values()))):
        stale += [when for when in moments if when is not None
                  and contact_id > marks.get(month_of(london_date(when)), contact_id)]
    save_months_changed(session, stale)
    session.execute(update(StatMonth).where(StatMonth.month.in_(list(marks)), StatMonth.max_contact_id < newest)
                    .values(max_contact_id=newest))
    session.commit()


def _rows(month: date, measures: Measures) -> dict:
    outcomes = ([("school", urn, outcome, n) for urn, outcome, n in measures.schools]
                + [("dsl", dsl, outcome, n) for dsl, outcome, n in measures.dsls]
                + [("time", weekday * 24 + hour, outcome, n) for weekday, hour, outcome, n in measures.times])
    return {
        MonthlyOutcomeStat: [{"month": month, "dimension": d, "key": k, "outcome": o, "contacts": n}
                             for d, k, o, n in outcomes],
        MonthlyPromiseStat: [{"month": month, "service": s, "decided": d, "kept": k}
                             for s, (d, k) in measures.promise_kept().items()],
        MonthlyVerdictStat: [{"month": month, "answer": a, "asked": n} for a, n in measures.verdicts.items()],
    }


def save_month_measures(session: Session, month: date, now: datetime) -> None:
    """Count one settled month's measures into its rows, labelled with the version read before counting."""
    version = session.exec(select(StatMonth.version).where(StatMonth.month == month)).one()
    newest = session.exec(select(func.max(Contact.id))).one() or 0
    rows = _rows(month, count_measures(session, month, month_end(month)))
    # The update comes first: on PostgreSQL its row lock makes a second builder wait, then delete these rows.
    session.execute(update(StatMonth).where(StatMonth.month == month)
                    .values(built_version=version, max_contact_id=newest, built_at=now))
    for table, values in rows.items():
        session.execute(delete(table).where(table.month == month))
        if values:
            session.execute(insert(table), values)
    session.commit()


def save_months_built(session: Session, months: list[date], now: datetime) -> list[date]:
    """Build or rebuild these settled months where needed; returns those whose rows are current."""
    known = set(session.exec(select(StatMonth.month).where(StatMonth.month.in_(months))))
    if missing := [m for m in months if m not in known]:  # a read writes nothing once its months are known
        connection = session.connection()
        connection.execute(_month_upsert(connection.dialect.name, False),
                           [{"month": m, "version": 0, "max_contact_id": 0} for m in missing])
        session.commit()
    save_new_contacts_seen(session, months)
    states = dict(session.exec(select(StatMonth.month, StatMonth.version == StatMonth.built_version)
                               .where(StatMonth.month.in_(months))).all())
    for month in months:
        if not states.get(month):
            save_month_measures(session, month, now)
            states[month] = True  # as of its count; a change since then is counted at the next read
    return [m for m in months if states.get(m)]


def _built_measures(session: Session, months: list[date]) -> Measures:
    o, p, v = MONTHLY_TABLES
    outcomes = session.exec(select(o.dimension, o.key, o.outcome, func.sum(o.contacts))
                            .where(o.month.in_(months)).group_by(o.dimension, o.key, o.outcome)).all()
    measures = Measures()
    for dimension, key, outcome, n in outcomes:
        if dimension == "school":
            measures.schools.append((key, outcome, int(n)))
        elif dimension == "dsl":
            measures.dsls.append((key, outcome, int(n)))
        else:
            measures.times.append((key // 24, key % 24, outcome, int(n)))
    for service, decided, kept in session.exec(select(p.service, func.sum(p.decided), func.sum(p.kept))
                                               .where(p.month.in_(months)).group_by(p.service)):
        measures.promise[service, "decided"], measures.promise[service, "kept"] = int(decided), int(kept)
    for answer, asked in session.exec(select(v.answer, func.sum(v.asked)).where(v.month.in_(months))
                                      .group_by(v.answer)):
        measures.verdicts[answer] = int(asked)
    return measures


def get_measures(session: Session, first: date, last: date, now: datetime) -> Measures:
    """The measures of London days [first, last]: settled whole months from their rows, the rest from contacts."""
    months, spans = split_period(first, last, now)
    built: list[date] = []
    if months:
        try:
            built = save_months_built(session, months, now)
        except SQLAlchemyError:
            # A locked or slow database must not break the dashboard: unbuilt months are read from the contacts.
            session.rollback()
            log.warning("could not build the report's monthly measures", extra={"event": "stats_build_failed"})
    spans += [(m, month_end(m)) for m in months if m not in built]
    measures = _built_measures(session, built) if built else Measures()
    for a, b in sorted(spans):
        measures.add(count_measures(session, a, b))
    return measures
