"""Dashboard query functions: a period's figures (built days and live days alike), follow-ups, call lists."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, Iterator

from sqlalchemy import and_, func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.alerts import ALERT
from db.contacts import FOLLOW_UP_DAYS, FOLLOW_UP_SERVICES, get_follow_up_rate
from db.daily_stats import (DAILY_TABLES, ROUTES, SETTLE_AFTER, URGENT, count_calls, day_bounds, days_between,
                            first_live_day, get_built_days, save_settled_stats)
from db.models import Call, Callback, CallStep, Contact, School, StatDay
from routing.hours import london_date
from routing.statistics import wilson_interval


@dataclass
class Figures:
    """A period's counts from built days and live days alike; callers sum rows with equal keys."""

    routes: list = field(default_factory=list)  # (route, service, transfer, calls, no_input, invalid, identified)
    daily: list = field(default_factory=list)  # (day, route, calls)
    hours: list = field(default_factory=list)  # (weekday, hour, calls)
    times: list = field(default_factory=list)  # (seconds, calls)
    schools: list = field(default_factory=list)  # (urn, calls, {route: calls}, urgent)

    def extend(self, other: "Figures") -> None:
        """Add another part of the period."""
        for name in ("routes", "daily", "hours", "times", "schools"):
            getattr(self, name).extend(getattr(other, name))


def _where(table, first: date, last: date, in_hours: bool | None) -> list:
    clauses = [table.day >= first, table.day <= last]
    if in_hours is not None:
        clauses.append(table.in_hours == in_hours)
    return clauses


def _built_figures(session: Session, first: date, last: date, in_hours: bool | None) -> Figures:
    r, h, t, s = DAILY_TABLES
    routes = session.exec(
        select(r.route, r.service, r.transfer_status, func.sum(r.calls), func.sum(r.no_input_calls),
               func.sum(r.invalid_calls), func.sum(r.identified_calls))
        .where(*_where(r, first, last, in_hours)).group_by(r.route, r.service, r.transfer_status))
    daily = session.exec(select(r.day, r.route, func.sum(r.calls)).where(*_where(r, first, last, in_hours))
                         .group_by(r.day, r.route))
    hours = session.exec(select(h.weekday, h.hour, func.sum(h.calls)).where(*_where(h, first, last, in_hours))
                         .group_by(h.weekday, h.hour))
    times = session.exec(select(t.seconds, func.sum(t.calls)).where(*_where(t, first, last, in_hours))
                         .group_by(t.seconds))
    route_columns = [func.sum(getattr(s, route.lower())) for route in ROUTES]
    schools = [(urn, int(calls), dict(zip(ROUTES, map(int, by_route))), int(urgent))
               for urn, calls, *by_route, urgent in session.exec(
                   select(s.school_urn, func.sum(s.calls), *route_columns, func.sum(s.urgent))
                   .where(*_where(s, first, last, in_hours)).group_by(s.school_urn))]
    return Figures([tuple(x) for x in routes], [tuple(x) for x in daily], [tuple(x) for x in hours],
                   [tuple(x) for x in times], schools)


def _live_figures(session: Session, first: date, last: date, in_hours: bool | None) -> Figures:
    counts = count_calls(session, first, last, in_hours)
    return Figures(
        routes=[(r, s, t, *c) for (_, _, r, s, t), c in counts.routes.items()],
        daily=[(d, r, c[0]) for (d, _, r, _, _), c in counts.routes.items()],
        hours=[(w, hr, n) for (_, _, w, hr), n in counts.hours.items()],
        times=[(sec, n) for _, sec, n in counts.times],
        schools=[(urn, calls, by_route, urgent) for _, urn, calls, by_route, urgent in counts.schools],
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


def get_figures(session: Session, first: date, last: date, in_hours: bool | None, now: datetime) -> Figures:
    """The figures of London days [first, last], in or out of hours (None: both), building settled days."""
    save_settled_stats(session, first, last, now)
    last = min(last, london_date(now))
    if first > last:
        return Figures()
    live_from = first_live_day(now)
    built = get_built_days(session, first, min(last, live_from - timedelta(days=1)))
    parts = [_built_figures(session, min(built), max(built), in_hours)] if built else []
    unbuilt = [day for day in days_between(first, last) if day not in built]
    parts += [_live_figures(session, a, b, in_hours) for a, b in _runs(unbuilt)]
    figures = Figures()
    for part in parts:
        figures.extend(part)
    return figures


def last_final_follow_up_day(now: datetime) -> date:
    """The newest London day whose contacts' 14-day follow-up windows have all ended (and settled)."""
    return london_date(now - SETTLE_AFTER - timedelta(days=FOLLOW_UP_DAYS)) - timedelta(days=1)


def get_follow_up(session: Session, first: date, last: date, now: datetime) -> dict:
    """The follow-up rate of contacts made on days [first, last] whose 14 days have passed (a younger
    contact may still be followed up, so counting it would understate the rate); younger ones are
    `pending_contacts`. Each day's figure comes from db.contacts.get_follow_up_rate, kept on its StatDay."""
    final = min(last, last_final_follow_up_day(now))
    save_settled_stats(session, first, final, now)
    sums = dict.fromkeys(("contacts", "followed", "after", "after_followed"), 0)
    missing = False
    for stat in session.exec(select(StatDay).where(StatDay.day >= first, StatDay.day <= final)).all():
        if stat.follow_up_contacts is None or stat.after_callback_contacts is None:
            rate = get_follow_up_rate(session, *day_bounds(stat.day, stat.day))
            stat.follow_up_contacts, stat.follow_up_followed = rate["contacts"], rate["followed_up"]
            stat.after_callback_contacts = rate["after_callback_contacts"]
            stat.after_callback_followed, missing = rate["after_callback_followed"], True
        for key, value in zip(sums, (stat.follow_up_contacts, stat.follow_up_followed, stat.after_callback_contacts,
                                     stat.after_callback_followed)):
            sums[key] += value
    if missing:
        session.commit()
    pending_from, pending_end = day_bounds(max(first, final + timedelta(days=1)), last)
    pending = session.exec(select(func.count()).select_from(Contact).where(
        Contact.created_at >= pending_from, Contact.created_at < pending_end,
        Contact.service.in_(FOLLOW_UP_SERVICES))).one()
    contacts, followed = sums["contacts"], sums["followed"]
    return {"contacts": contacts, "followed_up": followed, "rate": followed / contacts if contacts else 0.0,
            "window_days": FOLLOW_UP_DAYS, "from": first.isoformat(),
            "to": final.isoformat() if final >= first else None, "pending_contacts": pending,
            "after_callback": follow_up_group(sums["after"], sums["after_followed"]),
            "without_callback": follow_up_group(contacts - sums["after"], followed - sums["after_followed"])}


def follow_up_group(contacts: int, followed: int) -> dict:
    """A share followed up, with its 95% Wilson interval (None bounds when there are no contacts)."""
    low, high = wilson_interval(followed, contacts)
    return {"contacts": contacts, "followed_up": followed, "rate": followed / contacts if contacts else 0.0,
            "ci_low": low, "ci_high": high}


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
                                                                    Callback.created_at < end,
                                                                    Callback.kind != ALERT)  # the urgent_alerts figure
                        .group_by(Callback.state))
    return dict(rows.all())


def get_mash_calls(session: Session, first: date | None, last: date | None, search: str | None,
                   limit: int = 300) -> list[tuple]:
    """(call, contact reference, school name) of urgent calls, newest first, on London days [first, last]
    and/or matching a search: a 6-digit reference or URN, or part of a school's name."""
    query = (select(Call, Contact.reference, School.name)
             .join(Contact, Contact.call_id == Call.id, isouter=True)
             .join(School, School.urn == Call.school_urn, isouter=True)
             .order_by(Call.started_at.desc(), Call.id.desc()).limit(limit))
    urgent = or_(Call.route.in_(URGENT), Call.service.in_(URGENT), Contact.service.in_(URGENT))
    if first is not None and last is not None:
        start, end = day_bounds(first, last)
        query = query.where(Call.started_at >= start, Call.started_at < end)
    text = (search or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        # A reference finds its call whatever the line (Infoline and Early Help calls have references too).
        query = query.where(or_(Contact.reference == text, and_(urgent, Call.school_urn == int(text))))
    else:
        query = query.where(urgent)
        if text:
            query = query.where(School.name.icontains(text, autoescape=True))
    return list(session.exec(query))


def get_calls_for_export(engine: Engine, first: date, last: date, in_hours: bool | None) -> Iterator[tuple]:
    """Every call of London days [first, last] with its reference and school name, oldest first (streamed)."""
    start, end = day_bounds(first, last)
    query = (select(Call, Contact.reference, School.name)
             .join(Contact, Contact.call_id == Call.id, isouter=True)
             .join(School, School.urn == Call.school_urn, isouter=True)
             .where(Call.started_at >= start, Call.started_at < end)
             .order_by(Call.started_at, Call.id).execution_options(yield_per=1000))
    if in_hours is not None:
        query = query.where(Call.in_hours == in_hours)
    # Its own session: the rows are read while a response streams, after the request's session closed.
    with Session(engine) as session:
        yield from session.exec(query)


def get_overflowed_call_count(session: Session, first: date, last: date, in_hours: bool | None, key: str) -> int:
    """Calls started on London days [first, last] whose caller, offered a busy line's choices, pressed `key` for MASH:
    read from the steps, since the call's own route may have moved on (to an urgent message)."""
    start, end = day_bounds(first, last)
    query = (select(func.count(func.distinct(CallStep.call_id))).join(Call, Call.id == CallStep.call_id)
             .where(CallStep.step == "unanswered", CallStep.digits == key, Call.started_at >= start,
                    Call.started_at < end))
    if in_hours is not None:  # the dashboard's hours filter, as the daily tables apply it
        query = query.where(Call.in_hours == in_hours)
    return int(session.exec(query).one())
