"""The supervisors' dashboard: the declared figures for a date range with charts and tables, and their CSVs."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from db.session import get_engine, get_session
from db.stats import get_calls_for_export
from routing.hours import london_date
from staff import figures
from staff.auth import login_required
from staff.errors import error_pages
from staff.exports import CALL_COLUMNS, call_row, csv_response, table_rows
from staff.report import gather_report
from staff.stats import PeriodError, parse_period

bp = Blueprint("dashboard", __name__)
error_pages(bp)


def _period():
    """The period asked for in the query string, or 400 with the reason."""
    try:
        return parse_period(request.args, london_date(current_app.config["CLOCK"]()))
    except PeriodError as exc:
        abort(400, description=f"{exc}.")


def _report(period) -> dict:
    settings = current_app.config["SETTINGS"]
    return gather_report(get_session(), period, current_app.config["CLOCK"](), settings.promise_target,
                         settings.unit_cost_gbp)


@bp.get("/dashboard")
@login_required(role="supervisor")
def dashboard():
    """Figures for a date range (default the last 30 days), all calls or in or out of hours."""
    period = _period()
    report = _report(period)
    return render_template("dashboard.html", period=period, report=report, sections=figures.sections(report))


@bp.get("/dashboard/<name>.csv")
@login_required(role="supervisor")
def table_csv(name: str):
    """One dashboard table as CSV, for the same period."""
    period = _period()
    figure = figures.find(name)
    if figure is None:
        abort(404, description=f"There is no table called {name[:40]}.")
    header, rows = table_rows(figure.table(_report(period)))
    return csv_response(f"mash-ivr-{name}-{period.start}-to-{period.end}.csv", header, rows)


@bp.get("/exports/calls.csv")
@login_required(role="supervisor")
def calls_csv():
    """Every call of the period as CSV, one row per call."""
    period = _period()
    rows = (call_row(*row) for row in get_calls_for_export(get_engine(), period.start, period.end, period.in_hours))
    return csv_response(f"mash-ivr-calls-{period.start}-to-{period.end}.csv", CALL_COLUMNS, rows)
