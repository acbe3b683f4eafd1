"""Gather a period's figures into a report, each from its declaration (shared by the dashboard, CSVs and API)."""
from __future__ import annotations

from datetime import datetime

from ivr.config import DEFAULT_PROMISE_TARGET, DEFAULT_UNIT_COST_GBP
from staff import figures
from staff.reads import Reads
from staff.stats import Period


def gather_report(session, period: Period, now: datetime, promise_target: float = DEFAULT_PROMISE_TARGET,
                  unit_cost_gbp: float = DEFAULT_UNIT_COST_GBP) -> dict:
    """Every declared figure's data for a period, as plain data (also the API's JSON)."""
    reads = Reads(session, period, now, promise_target, unit_cost_gbp)
    report = {"from": period.start.isoformat(), "to": period.end.isoformat(), "hours": period.hours}
    for figure in figures.FIGURES:
        report.update(figure.data(reads))
    return report
