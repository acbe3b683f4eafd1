"""Gather a period's figures from the database into a report (shared by the dashboard, exports and API)."""
from __future__ import annotations

from datetime import datetime

from db.contacts import get_follow_up_rate
from db.stats import day_bounds, get_callback_states, get_figures, get_schools, london_day
from staff.stats import Period, build_report


def gather_report(session, period: Period, now: datetime) -> dict:
    """Every figure of the dashboard for a period (follow-ups and callbacks cover all hours)."""
    today = london_day(now)
    figures = get_figures(session, period.start, period.end, period.in_hours, today)
    names = get_schools(session, (row[0] for row in figures.schools))
    start, end = day_bounds(period.start, min(period.end, today))
    follow_up = (get_follow_up_rate(session, start, end) if start < end
                 else {"contacts": 0, "followed_up": 0, "rate": 0.0})
    callbacks = get_callback_states(session, period.start, period.end)
    return build_report(figures, names, period, today, follow_up, callbacks)
