"""The dashboard's per-day figures: built once a London day has settled, so reads need not count calls.

A day is settled SETTLE_AFTER its end: a call lasts at most four hours, so no webhook (a status callback,
a transfer result) can change its calls any more. Its figures are then aggregated once into the Daily*
tables and read from there. Today (and yesterday until it settles) is aggregated from the calls at every
read. The dashboard therefore reads a few
rows per day of the range, however many calls the database holds. Calls stored later into a past day
(imports, backfills) are noticed by their ids and the day is rebuilt; code that changes past calls in
place calls save_days_changed.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable

from sqlalchemy import delete, func, insert, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, select

from db.models import (Call, DailyHourStat, DailyRouteStat, DailyRouteTimeStat, DailySchoolStat, Route,
                       StatDay)
from routing.hours import LONDON

log = logging.getLogger("db.stats")
SETTLE_AFTER = timedelta(hours=6)
# Calls that open a MASH contact: put through to MASH or EDT, or an urgent message for MASH.
URGENT = (Route.MASH, Route.EDT)
MAX_ROUTE_SECONDS = 3600  # a longer wait to route counts as an hour (the median is unaffected)
CALL_COLUMNS = (Call.started_at, Call.in_hours, Call.route, Call.service, Call.transfer_status,
                Call.no_input_count, Call.invalid_count, Call.school_urn, Call.routed_at)


def london_day(when: datetime) -> date:
    """The Europe/London date of an instant."""
    return when.astimezone(LONDON).date()


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants from London midnight starting `first` to London midnight ending `last`."""
    start = datetime.combine(first, time(0), LONDON).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(0), LONDON).astimezone(timezone.utc)
    return start, end


@dataclass
class Buckets:
    """Calls counted by the keys of the four Daily* tables (the day first in each key)."""

    routes: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    hours: Counter = field(default_factory=Counter)
    times: Counter = field(default_factory=Counter)
    schools: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


def aggregate_calls(rows: Iterable[tuple]) -> Buckets:
    """Count calls (CALL_COLUMNS tuples) into Buckets; times are bucketed in Europe/London."""
    buckets = Buckets()
    for started_at, in_hours, route, service, transfer, no_input, invalid, urn, routed_at in rows:
        local = started_at.astimezone(LONDON)
        day, route, service = local.date(), route or "", service or route or ""
        counts = buckets.routes[(day, in_hours, route, service, transfer or "")]
        counts[0] += 1
        counts[1] += no_input > 0
        counts[2] += invalid > 0
        counts[3] += urn is not None
        buckets.hours[(day, in_hours, local.weekday(), local.hour)] += 1
        if routed_at is not None and route not in ("", Route.ABANDONED):
            seconds = min(max(int((routed_at - started_at).total_seconds()), 0), MAX_ROUTE_SECONDS)
            buckets.times[(day, in_hours, seconds)] += 1
        if urn is not None:
            school = buckets.schools[(day, in_hours, urn, route)]
            school[0] += 1
            school[1] += (service if route == Route.VOICEMAIL else route) in URGENT
    return buckets


def calls_between(session: Session, first: date, last: date, in_hours: bool | None = None):
    start, end = day_bounds(first, last)
    query = select(*CALL_COLUMNS).where(Call.started_at >= start, Call.started_at < end)
    if in_hours is not None:
        query = query.where(Call.in_hours == in_hours)
    return session.exec(query)


def _table_rows(buckets: Buckets) -> dict:
    """Buckets as insertable rows, per Daily* table."""
    return {
        DailyRouteStat: [dict(day=d, in_hours=h, route=r, service=s, transfer_status=t, calls=c[0],
                              no_input_calls=c[1], invalid_calls=c[2], identified_calls=c[3])
                         for (d, h, r, s, t), c in buckets.routes.items()],
        DailyHourStat: [dict(day=d, in_hours=h, weekday=w, hour=hr, calls=n)
                        for (d, h, w, hr), n in buckets.hours.items()],
        DailyRouteTimeStat: [dict(day=d, in_hours=h, seconds=s, calls=n) for (d, h, s), n in buckets.times.items()],
        DailySchoolStat: [dict(day=d, in_hours=h, school_urn=u, route=r, calls=c[0], mash_calls=c[1])
                          for (d, h, u, r), c in buckets.schools.items()],
    }


DAILY_TABLES = (DailyRouteStat, DailyHourStat, DailyRouteTimeStat, DailySchoolStat)


def first_live_day(now: datetime) -> date:
    """The first London day not settled yet at `now` (read from the calls)."""
    return london_day(now - SETTLE_AFTER)


def get_first_call_day(session: Session) -> date | None:
    """The London day of the oldest call, if any."""
    first = session.exec(select(Call.started_at).order_by(Call.started_at).limit(1)).first()
    return london_day(first) if first is not None else None


def save_day_stats(session: Session, day: date) -> bool:
    """Build one settled day's rows; False if another process built it first."""
    try:
        # The StatDay row is the claim: a second builder of the same day fails on its primary key.
        newest = session.exec(select(func.max(Call.id))).one() or 0
        session.add(StatDay(day=day, max_call_id=newest))
        session.flush()
        for table in DAILY_TABLES:
            session.execute(delete(table).where(table.day == day))
        for table, rows in _table_rows(aggregate_calls(calls_between(session, day, day))).items():
            if rows:
                session.execute(insert(table), rows)
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def get_built_days(session: Session, first: date, last: date) -> set[date]:
    """The days in [first, last] whose Daily* rows are built."""
    return set(session.exec(select(StatDay.day).where(StatDay.day >= first, StatDay.day <= last)))


def save_new_calls_seen(session: Session, first: date, last: date) -> set[date]:
    """Forget built days in [first, last] that gained calls since they were built (imports, backfills);
    returns them. Only calls stored since the last look are read, so this stays cheap."""
    marks = dict(session.exec(select(StatDay.day, StatDay.max_call_id)
                              .where(StatDay.day >= first, StatDay.day <= last)).all())
    newest = session.exec(select(func.max(Call.id))).one() or 0
    if not marks or newest <= min(marks.values()):
        return set()
    stale = set()
    for call_id, started_at in session.exec(select(Call.id, Call.started_at).where(Call.id > min(marks.values()))):
        day = london_day(started_at)
        if day in marks and call_id > marks[day]:
            stale.add(day)
    save_days_changed(session, stale)
    session.execute(update(StatDay).where(StatDay.day >= first, StatDay.day <= last, StatDay.max_call_id < newest)
                    .values(max_call_id=newest))
    session.commit()
    return stale


def save_settled_stats(session: Session, first: date, last: date, now: datetime) -> int:
    """Build the rows of every settled day in [first, last] not built yet; returns the days built."""
    oldest = get_first_call_day(session)
    last = min(last, first_live_day(now) - timedelta(days=1))
    if oldest is None or max(first, oldest) > last:
        return 0
    first = max(first, oldest)
    try:
        save_new_calls_seen(session, first, last)
    except SQLAlchemyError:
        session.rollback()  # read what is built; the next look catches up
    built = get_built_days(session, first, last)
    count = 0
    for day in days_between(first, last):
        if day in built:
            continue
        try:
            count += save_day_stats(session, day)
        except SQLAlchemyError:
            # A locked or slow database must not break the dashboard: unbuilt days are read from the calls.
            session.rollback()
            log.warning("could not build the dashboard figures of a day", extra={"event": "stats_build_failed",
                                                                                 "day": day.isoformat()})
            break
    return count


def save_days_changed(session: Session, days: Iterable[date]) -> None:
    """Forget the built rows of these days (after past calls were changed); they are rebuilt when read."""
    days = sorted(set(days))
    if not days:
        return
    for table in (*DAILY_TABLES, StatDay):
        session.execute(delete(table).where(table.day.in_(days)))
    session.commit()
