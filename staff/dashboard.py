"""The supervisors' dashboard: figures for a date range with charts and tables, and their CSV exports."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from db.session import get_engine, get_session
from db.daily_stats import london_day
from db.stats import get_calls_for_export
from staff import charts
from staff.errors import error_pages
from staff.auth import login_required
from staff.exports import CALL_COLUMNS, call_row, csv_response, table_rows
from staff.report import gather_report
from staff.stats import (CALLBACK_LABELS, ROUTE_LABELS, ROUTES, TRANSFER_LABELS, WEEKDAYS, PeriodError,
                         parse_period)
from staff.tables import report_tables

bp = Blueprint("dashboard", __name__)
error_pages(bp)


def _period():
    """The period asked for in the query string, or 400 with the reason."""
    try:
        return parse_period(request.args, london_day(current_app.config["CLOCK"]()))
    except PeriodError as exc:
        abort(400, description=f"{exc}.")


def _charts(report: dict) -> dict:
    """One chart per table that reads better as a picture."""
    share = report["route_share"]
    routes = [(ROUTE_LABELS[r], report["by_route"][r], f"{report['by_route'][r]} ({share[r]:.0%})")
              for r in ROUTES if report["by_route"][r]]
    transfers = [(TRANSFER_LABELS.get(k, k), n, str(n)) for k, n in report["transfer_outcomes"].items()]
    callbacks = [(CALLBACK_LABELS[k], n, str(n)) for k, n in report["callbacks"].items()]
    identified = report["identified"]
    schools = [(s["name"][:32], s["mash_contacts"], str(s["mash_contacts"])) for s in report["top_schools"]]
    days = [(d["date"][5:], d["calls"]) for d in report["daily"]]
    return {
        "routes": charts.bar_chart("chart-routes", "Calls by route", routes),
        "transfers": charts.bar_chart("chart-transfers", "Transfer outcomes", transfers),
        "callbacks": charts.bar_chart("chart-callbacks", "Status callbacks by state", callbacks),
        "identified": charts.bar_chart("chart-identified", "Caller's school identified", [
            ("Identified", identified["identified"], str(identified["identified"])),
            ("Not identified", identified["unidentified"], str(identified["unidentified"]))]),
        "daily": charts.column_chart("chart-daily", "Calls per day", days),
        "hour_of_week": charts.heatmap("chart-hours", "Calls by hour of the week", list(WEEKDAYS),
                                       report["hour_of_week"]),
        "top_schools": charts.bar_chart("chart-schools", "Top 30 schools by MASH contacts", schools, 260),
    }


@bp.get("/dashboard")
@login_required(role="supervisor")
def dashboard():
    """Figures for a date range (default the last 30 days), all calls or in or out of hours."""
    period = _period()
    report = gather_report(get_session(), period, current_app.config["CLOCK"]())
    return render_template("dashboard.html", period=period, report=report, tables=report_tables(report),
                           charts=_charts(report))


@bp.get("/dashboard/<name>.csv")
@login_required(role="supervisor")
def table_csv(name: str):
    """One dashboard table as CSV, for the same period."""
    period = _period()
    tables = report_tables(gather_report(get_session(), period, current_app.config["CLOCK"]()))
    if name not in tables:
        abort(404, description=f"There is no table called {name[:40]}.")
    header, rows = table_rows(tables[name])
    return csv_response(f"mash-ivr-{name}-{period.start}-to-{period.end}.csv", header, rows)


@bp.get("/exports/calls.csv")
@login_required(role="supervisor")
def calls_csv():
    """Every call of the period as CSV, one row per call."""
    period = _period()
    rows = (call_row(*row) for row in get_calls_for_export(get_engine(), period.start, period.end, period.in_hours))
    return csv_response(f"mash-ivr-calls-{period.start}-to-{period.end}.csv", CALL_COLUMNS, rows)
