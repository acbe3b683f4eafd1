"""The dashboard's tables, defined once from a report: shown on the page and exported as CSV alike."""
from __future__ import annotations

from dataclasses import dataclass, field

from staff.filters import duration, percent
from staff.stats import CALLBACK_LABELS, ROUTE_LABELS, ROUTES, SERVICES, TRANSFER_LABELS, WEEKDAYS


@dataclass
class Table:
    """A titled table; each column is (heading, kind) with kind int, pct, seconds or text."""

    name: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[list] = field(default_factory=list)


def cell_text(value, kind: str) -> str:
    """A cell as shown on the page."""
    if value is None:
        return "–"
    if kind == "pct":
        return percent(value)
    if kind == "seconds":
        return duration(value)
    if kind == "int":
        return f"{int(value):,}"
    return str(value)


def cell_value(value, kind: str):
    """A cell as written to CSV: numbers stay numbers (shares as percentages to 0.1)."""
    if value is None:
        return ""
    if kind == "pct":
        return round(value * 100, 1)
    return value


def _summary(report: dict) -> Table:
    rows = [
        ["Calls", report["calls"], None, None],
        ["Diverted to Infoline or Early Help", report["diversion"]["diverted"], report["diversion"]["routed"],
         report["diversion"]["rate"]],
        ["Hung up in the menu", report["abandonment"]["abandoned"], report["calls"], report["abandonment"]["rate"]],
        ["Pressed nothing at least once", report["no_input"]["calls"], report["calls"], report["no_input"]["rate"]],
        ["Pressed a wrong key at least once", report["invalid_key"]["calls"], report["calls"],
         report["invalid_key"]["rate"]],
        ["School identified", report["identified"]["identified"], report["calls"], report["identified"]["share"]],
        ["Contacts (at least 14 days old) followed up by another call within 14 days",
         report["follow_up"]["followed_up"], report["follow_up"]["contacts"],
         report["follow_up"]["rate"] if report["follow_up"]["contacts"] else None],
    ]
    return Table("summary", "Key figures", [("Measure", "text"), ("Calls", "int"), ("Out of", "int"),
                                           ("Rate", "pct")], rows)


def report_tables(report: dict) -> dict[str, Table]:
    """Every table of the dashboard, by name (the name is also the CSV's)."""
    calls = report["calls"]
    transfers = sum(report["transfer_outcomes"].values())
    callbacks = report["callbacks"]
    route_columns = [(ROUTE_LABELS[r], "int") for r in ROUTES]
    tables = [
        _summary(report),
        Table("routes", "Calls by route", [("Route", "text"), ("Calls", "int"), ("Share", "pct")],
              [[ROUTE_LABELS[r], report["by_route"][r], report["route_share"][r]] for r in ROUTES]),
        Table("destinations", "Where routed calls went (messages count for their service)",
              [("Service", "text"), ("Calls", "int"), ("Share", "pct")],
              [[ROUTE_LABELS[s], report["by_destination"][s],
                report["by_destination"][s] / report["diversion"]["routed"] if report["diversion"]["routed"] else 0.0]
               for s in SERVICES]),
        Table("transfers", "Transfer outcomes (last transfer of each call)",
              [("Outcome", "text"), ("Calls", "int"), ("Share", "pct")],
              [[TRANSFER_LABELS.get(k, k), n, n / transfers] for k, n in report["transfer_outcomes"].items()]),
        Table("callbacks", "Status callbacks to DSLs (created in the period)",
              [("State", "text"), ("Callbacks", "int")],
              [[CALLBACK_LABELS[k], n] for k, n in callbacks.items()]),
        Table("identified", "Caller's school identified", [("School", "text"), ("Calls", "int"), ("Share", "pct")],
              [["Identified", report["identified"]["identified"], report["identified"]["share"]],
               ["Not identified", report["identified"]["unidentified"],
                1 - report["identified"]["share"] if calls else 0.0]]),
        Table("daily", "Calls per day", [("Date", "text"), ("Calls", "int"), *route_columns],
              [[d["date"], d["calls"], *(d[r] for r in ROUTES)] for d in report["daily"]]),
        Table("hour_of_week", "Calls by hour of the week (Europe/London)",
              [("Day", "text"), *((f"{h:02d}:00", "int") for h in range(24))],
              [[day, *line] for day, line in zip(WEEKDAYS, report["hour_of_week"])]),
        Table("top_schools", "Top 30 schools by MASH contacts",
              [("Rank", "int"), ("School", "text"), ("URN", "text"), ("MASH contacts", "int"), ("Pupils", "int"),
               ("MASH contacts per 100 pupils", "text"), ("All calls", "int")],
              [[s["rank"], s["name"], s["urn"], s["mash_contacts"], s["pupils"], s["mash_per_100_pupils"], s["calls"]]
               for s in report["top_schools"]]),
        Table("schools", "Calls per route for each school",
              [("School", "text"), ("URN", "text"), ("Pupils", "int"), ("Calls", "int"), *route_columns,
               ("MASH contacts", "int"), ("MASH contacts per 100 pupils", "text")],
              [[s["name"], s["urn"], s["pupils"], s["calls"], *(s["by_route"][r] for r in ROUTES),
                s["mash_contacts"], s["mash_per_100_pupils"]] for s in report["by_school"]]),
    ]
    return {table.name: table for table in tables}
