"""Gather a period's figures from the database into a report (shared by the dashboard, exports and API)."""
from __future__ import annotations

from datetime import datetime

from db.daily_stats import london_day
from db.stats import get_callback_states, get_figures, get_follow_up, get_schools
from staff.stats import Period, build_report


def gather_report(session, period: Period, now: datetime) -> dict:
    """Every figure of the dashboard for a period (follow-ups and callbacks cover all hours)."""
    figures = get_figures(session, period.start, period.end, period.in_hours, now)
    names = get_schools(session, (row[0] for row in figures.schools))
    follow_up = get_follow_up(session, period.start, period.end, now)
    callbacks = get_callback_states(session, period.start, period.end)
    return build_report(figures, names, period, london_day(now), follow_up, callbacks)
