"""Dashboard figures: per-day rows built once a London day has settled, live days read from the calls.

A day is settled LIVE_DAYS after it began: late webhooks (a status callback, a transfer result) can no
longer change its calls, so its figures are aggregated once into the Daily* tables and read from there.
Today and yesterday are aggregated from the calls at every read. The dashboard therefore reads a few
rows per day of the range, however many calls the database holds. Code that rewrites past calls
(imports, backfills) calls save_days_changed so those days are rebuilt.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable

from sqlalchemy import delete, func, insert, or_
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, select

from db.models import (Call, Callback, Contact, DailyHourStat, DailyRouteStat, DailyRouteTimeStat, DailySchoolStat,
                       Route, School, StatDay)
from routing.hours import LONDON

log = logging.getLogger("db.stats")
LIVE_DAYS = 2
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


def _calls_between(session: Session, first: date, last: date, in_hours: bool | None = None):
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


def settled_before(today: date) -> date:
    """The first day that is still live (read from the calls)."""
    return today - timedelta(days=LIVE_DAYS - 1)


def get_first_call_day(session: Session) -> date | None:
    """The London day of the oldest call, if any."""
    first = session.exec(select(Call.started_at).order_by(Call.started_at).limit(1)).first()
    return london_day(first) if first is not None else None


def save_day_stats(session: Session, day: date) -> bool:
    """Build one settled day's rows; False if another process built it first."""
    try:
        # The StatDay row is the claim: a second builder of the same day fails on its primary key.
        session.add(StatDay(day=day))
        session.flush()
        for table in DAILY_TABLES:
            session.execute(delete(table).where(table.day == day))
        for table, rows in _table_rows(aggregate_calls(_calls_between(session, day, day))).items():
            if rows:
                session.execute(insert(table), rows)
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def get_built_days(session: Session, first: date, last: date) -> set[date]:
    """The days in [first, last] whose Daily* rows are built."""
    return set(session.exec(select(StatDay.day).where(StatDay.day >= first, StatDay.day <= last)))


def save_settled_stats(session: Session, first: date, last: date, today: date) -> int:
    """Build the rows of every settled day in [first, last] not built yet; returns the days built."""
    oldest = get_first_call_day(session)
    last = min(last, settled_before(today) - timedelta(days=1))
    if oldest is None or max(first, oldest) > last:
        return 0
    first = max(first, oldest)
    built = get_built_days(session, first, last)
    count = 0
    for day in _days(first, last):
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


@dataclass
class Figures:
    """Rows for a range of days, from built days and live days alike; callers sum rows with equal keys."""

    routes: list = field(default_factory=list)  # (day, route, service, transfer, calls, no_input, invalid, identified)
    hours: list = field(default_factory=list)  # (weekday, hour, calls)
    times: list = field(default_factory=list)  # (seconds, calls)
    schools: list = field(default_factory=list)  # (urn, route, calls, mash_calls)


def _where(table, first: date, last: date, in_hours: bool | None) -> list:
    clauses = [table.day >= first, table.day <= last]
    if in_hours is not None:
        clauses.append(table.in_hours == in_hours)
    return clauses


def _built_figures(session: Session, first: date, last: date, in_hours: bool | None) -> Figures:
    r, h, t, s = DAILY_TABLES
    routes = session.exec(
        select(r.day, r.route, r.service, r.transfer_status, func.sum(r.calls), func.sum(r.no_input_calls),
               func.sum(r.invalid_calls), func.sum(r.identified_calls))
        .where(*_where(r, first, last, in_hours)).group_by(r.day, r.route, r.service, r.transfer_status))
    hours = session.exec(select(h.weekday, h.hour, func.sum(h.calls)).where(*_where(h, first, last, in_hours))
                         .group_by(h.weekday, h.hour))
    times = session.exec(select(t.seconds, func.sum(t.calls)).where(*_where(t, first, last, in_hours))
                         .group_by(t.seconds))
    schools = session.exec(select(s.school_urn, s.route, func.sum(s.calls), func.sum(s.mash_calls))
                           .where(*_where(s, first, last, in_hours)).group_by(s.school_urn, s.route))
    return Figures([tuple(x) for x in routes], [tuple(x) for x in hours], [tuple(x) for x in times],
                   [tuple(x) for x in schools])


def _live_figures(session: Session, first: date, last: date, in_hours: bool | None) -> Figures:
    b = aggregate_calls(_calls_between(session, first, last, in_hours))
    return Figures(
        routes=[(d, r, s, t, *c) for (d, _, r, s, t), c in b.routes.items()],
        hours=[(w, hr, n) for (_, _, w, hr), n in b.hours.items()],
        times=[(sec, n) for (_, _, sec), n in b.times.items()],
        schools=[(u, r, *c) for (_, _, u, r), c in b.schools.items()],
    )


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[list[date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


def get_figures(session: Session, first: date, last: date, in_hours: bool | None, today: date) -> Figures:
    """The figures of London days [first, last], in or out of hours (None: both), building settled days."""
    save_settled_stats(session, first, last, today)
    last = min(last, today)
    if first > last:
        return Figures()
    live_from = settled_before(today)
    built = get_built_days(session, first, min(last, live_from - timedelta(days=1)))
    parts = [_built_figures(session, min(built), max(built), in_hours)] if built else []
    unbuilt = [day for day in _days(first, last) if day not in built]
    parts += [_live_figures(session, a, b, in_hours) for a, b in _runs(unbuilt)]
    figures = Figures()
    for part in parts:
        for name in ("routes", "hours", "times", "schools"):
            getattr(figures, name).extend(getattr(part, name))
    return figures


def get_schools(session: Session, urns: Iterable[int]) -> dict[int, tuple[str, int | None]]:
    """Name and pupil numbers of these schools, by URN."""
    urns = sorted(set(urns))
    if not urns:
        return {}
    rows = session.exec(select(School.urn, School.name, School.pupils).where(School.urn.in_(urns)))
    return {urn: (name, pupils) for urn, name, pupils in rows}


def get_callback_states(session: Session, first: date, last: date) -> dict[str, int]:
    """Callbacks created on London days [first, last], counted by state."""
    start, end = day_bounds(first, last)
    rows = session.exec(select(Callback.state, func.count()).where(Callback.created_at >= start,
                                                                    Callback.created_at < end)
                        .group_by(Callback.state))
    return dict(rows.all())


def get_mash_calls(session: Session, first: date | None, last: date | None, search: str | None,
                   limit: int = 300) -> list[tuple]:
    """(call, contact reference, school name) of urgent calls, newest first, on London days [first, last]
    and/or matching a search: a 6-digit reference or URN, or part of a school's name."""
    query = (select(Call, Contact.reference, School.name)
             .join(Contact, Contact.call_id == Call.id, isouter=True)
             .join(School, School.urn == Call.school_urn, isouter=True)
             .where(or_(Call.route.in_(URGENT), Call.service.in_(URGENT), Contact.id.is_not(None)))
             .order_by(Call.started_at.desc(), Call.id.desc()).limit(limit))
    if first is not None and last is not None:
        start, end = day_bounds(first, last)
        query = query.where(Call.started_at >= start, Call.started_at < end)
    text = (search or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        query = query.where(or_(Contact.reference == text, Call.school_urn == int(text)))
    elif text:
        query = query.where(School.name.icontains(text, autoescape=True))
    return list(session.exec(query))


def get_calls_for_export(session: Session, first: date, last: date, in_hours: bool | None):
    """Every call of London days [first, last] with its reference and school name, oldest first (streamed)."""
    start, end = day_bounds(first, last)
    query = (select(Call, Contact.reference, School.name)
             .join(Contact, Contact.call_id == Call.id, isouter=True)
             .join(School, School.urn == Call.school_urn, isouter=True)
             .where(Call.started_at >= start, Call.started_at < end)
             .order_by(Call.started_at, Call.id).execution_options(yield_per=1000))
    if in_hours is not None:
        query = query.where(Call.in_hours == in_hours)
    return session.exec(query)
