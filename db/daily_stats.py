"""The dashboard's per-day figures: built once a London day has settled, so reads need not count calls.

A day is settled SETTLE_AFTER its end: a call lasts at most four hours, so no webhook (a status callback,
a transfer result) can change its calls any more. Its calls are then counted once (GROUP BY in the
database) into the Daily* tables and read from there; today (and yesterday until it settles) is counted
from the calls at every read. A read therefore meets a few rows per day of its range, however many calls
the database holds. Calls stored later into a past day (imports, back-dating) are noticed by their ids
and the day is rebuilt; code that changes past calls in place calls save_days_changed.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable

from sqlalchemy import Integer, and_, case, cast, delete, extract, func, insert, or_, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, select

from db.models import (Call, DailyHourStat, DailyRouteStat, DailyRouteTimeStat, DailySchoolStat, Route,
                       StatDay)
from routing.hours import LONDON, london_date

log = logging.getLogger("db.daily_stats")
SETTLE_AFTER = timedelta(hours=6)
# Calls that open a MASH contact: put through to MASH or EDT, or an urgent message for MASH.
URGENT = (Route.MASH, Route.EDT)
MAX_ROUTE_SECONDS = 3600  # a longer wait to route counts as an hour (the median is unaffected)
IN_PROGRESS = "IN_PROGRESS"  # a call still in the menu: no route yet
ROUTES = (*Route.ALL, IN_PROGRESS)  # every final route, and none yet; DailySchoolStat has a column for each


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants from London midnight starting `first` to London midnight ending `last`."""
    start = datetime.combine(first, time(0), LONDON).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(0), LONDON).astimezone(timezone.utc)
    return start, end


@dataclass
class Counts:
    """Calls of a span of days counted in the database, by the keys of the Daily* tables."""

    # (day, in_hours, route, service, transfer) -> [calls, with no input, with a wrong key, school identified]
    routes: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    hours: Counter = field(default_factory=Counter)  # (day, in_hours, weekday, hour) -> calls
    times: list = field(default_factory=list)  # (in_hours, seconds, calls)
    schools: list = field(default_factory=list)  # (in_hours, urn, calls, {route: calls}, urgent)


def utc_hour(dialect: str, column=Call.started_at):
    """The UTC hour of a time column (a call's start by default), as text 'YYYY-MM-DD HH' (for the London hour)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def london_hour(utc_hour_text: str) -> datetime:
    """The London time of an hour given as utc_hour's text."""
    return datetime.strptime(utc_hour_text, "%Y-%m-%d %H").replace(tzinfo=timezone.utc).astimezone(LONDON)


def _seconds_to_route(dialect: str):
    """Whole seconds from a call's start to its route, between 0 and MAX_ROUTE_SECONDS."""
    if dialect == "postgresql":
        raw = cast(func.floor(extract("epoch", Call.routed_at - Call.started_at)), Integer)
        return func.least(func.greatest(raw, 0), MAX_ROUTE_SECONDS)
    # julianday is exact to about 0.1 ms here; the extra millisecond keeps 12.000 s from reading as 11.
    raw = cast((func.julianday(Call.routed_at) - func.julianday(Call.started_at)) * 86400.0 + 0.001, Integer)
    return func.min(func.max(raw, 0), MAX_ROUTE_SECONDS)


def _count(flag) -> object:
    return func.sum(case((flag, 1), else_=0))


def _count_routes(session: Session, where: list, dialect: str, counts: Counts) -> None:
    hour, route = utc_hour(dialect), func.coalesce(Call.route, "")
    service, transfer = func.coalesce(Call.service, Call.route, ""), func.coalesce(Call.transfer_status, "")
    for hour_text, in_hours, r, sv, tr, *measures in session.exec(
            select(hour, Call.in_hours, route, service, transfer, func.count(), _count(Call.no_input_count > 0),
                   _count(Call.invalid_count > 0), func.count(Call.school_urn))
            .where(*where).group_by(hour, Call.in_hours, route, service, transfer)):
        local = london_hour(hour_text)
        row = counts.routes[(local.date(), in_hours, r, sv, tr)]
        for index, value in enumerate(measures):
            row[index] += int(value)
        counts.hours[(local.date(), in_hours, local.weekday(), local.hour)] += int(measures[0])


def _count_times(session: Session, where: list, dialect: str, counts: Counts) -> None:
    seconds = _seconds_to_route(dialect)
    counts.times = [tuple(row) for row in session.exec(
        select(Call.in_hours, seconds, func.count())
        .where(*where, Call.routed_at.is_not(None), Call.route.is_not(None), Call.route != Route.ABANDONED)
        .group_by(Call.in_hours, seconds))]


def _count_schools(session: Session, where: list, counts: Counts) -> None:
    by_route = [_count(Call.route.is_(None) if r == IN_PROGRESS else Call.route == r) for r in ROUTES]
    urgent = _count(or_(Call.route.in_(URGENT), and_(Call.route == Route.VOICEMAIL, Call.service.in_(URGENT))))
    for in_hours, urn, calls, *routes, urgent_calls in session.exec(
            select(Call.in_hours, Call.school_urn, func.count(), *by_route, urgent)
            .where(*where, Call.school_urn.is_not(None)).group_by(Call.in_hours, Call.school_urn)):
        counts.schools.append((in_hours, urn, int(calls), dict(zip(ROUTES, map(int, routes))), int(urgent_calls)))


def count_calls(session: Session, first: date, last: date, in_hours: bool | None = None) -> Counts:
    """Count the calls of London days [first, last] in the database (GROUP BY), hours in Europe/London."""
    start, end = day_bounds(first, last)
    where = [Call.started_at >= start, Call.started_at < end]
    if in_hours is not None:
        where.append(Call.in_hours == in_hours)
    dialect = session.get_bind().dialect.name
    counts = Counts()
    _count_routes(session, where, dialect, counts)
    _count_times(session, where, dialect, counts)
    _count_schools(session, where, counts)
    return counts


def _table_rows(day: date, counts: Counts) -> dict:
    """One day's Counts as insertable rows, per Daily* table."""
    return {
        DailyRouteStat: [dict(day=day, in_hours=h, route=r, service=s, transfer_status=t, calls=c[0],
                              no_input_calls=c[1], invalid_calls=c[2], identified_calls=c[3])
                         for (_, h, r, s, t), c in counts.routes.items()],
        DailyHourStat: [dict(day=day, in_hours=h, weekday=w, hour=hr, calls=n)
                        for (_, h, w, hr), n in counts.hours.items()],
        DailyRouteTimeStat: [dict(day=day, in_hours=h, seconds=sec, calls=n) for h, sec, n in counts.times],
        DailySchoolStat: [dict(day=day, in_hours=h, school_urn=urn, calls=calls, urgent=urgent,
                               **{r.lower(): n for r, n in routes.items()})
                          for h, urn, calls, routes, urgent in counts.schools],
    }


DAILY_TABLES = (DailyRouteStat, DailyHourStat, DailyRouteTimeStat, DailySchoolStat)


def first_live_day(now: datetime) -> date:
    """The first London day not settled yet at `now` (read from the calls)."""
    return london_date(now - SETTLE_AFTER)


def get_first_call_day(session: Session) -> date | None:
    """The London day of the oldest call, if any."""
    first = session.exec(select(Call.started_at).order_by(Call.started_at).limit(1)).first()
    return london_date(first) if first is not None else None


def save_day_stats(session: Session, day: date, now: datetime) -> bool:
    """Build one settled day's rows; False if another process built it first."""
    try:
        # The StatDay row is the claim: a second builder of the same day fails on its primary key.
        newest = session.exec(select(func.max(Call.id))).one() or 0
        session.add(StatDay(day=day, max_call_id=newest, built_at=now))
        session.flush()
        for table in DAILY_TABLES:
            session.execute(delete(table).where(table.day == day))
        for table, rows in _table_rows(day, count_calls(session, day, day)).items():
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
        day = london_date(started_at)
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
            count += save_day_stats(session, day, now)
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
