"""Every dashboard figure, declared once: its label, its data (the API's keys), its table and CSV, its chart."""
from __future__ import annotations

from collections import Counter

from markupsafe import Markup

from db.alerts import get_alert_times
from db.daily_stats import day_bounds
from db.messages import get_callback_request_times, get_message_actions
from db.models import Route
from db.stats import get_callback_states, get_figures, get_overflowed_call_count, get_schools
from routing.transfer import ANSWERED, OVERFLOW_KEY
from routing.vocabulary import MESSAGE_STATE_LABELS, MESSAGE_STATES
from staff.charts import Chart
from staff.stats import (CALLBACK_LABELS, DIVERTED, ROUTE_LABELS, ROUTES, SERVICES, TOP_SCHOOLS, TRANSFER_LABELS,
                         WEEKDAYS, daily_rows, hour_grid, median_from_counts, rate, route_totals, school_table)
from staff.outcome_figures import OUTCOME_FIGURES
from staff.reads import Figure, Reads, follow_up, measures, shared
from staff.tables import Table


@shared
def _counts(reads: Reads):
    period = reads.period
    return reads.query(get_figures, period.start, period.end, period.in_hours, reads.now)


@shared
def _totals(reads: Reads):
    return route_totals(_counts(reads).routes)


@shared
def _schools(reads: Reads) -> list[dict]:
    rows = _counts(reads).schools
    return school_table(rows, reads.query(get_schools, tuple(sorted({row[0] for row in rows}))))


def _routes(reads: Reads) -> dict:
    totals = _totals(reads)
    return {"calls": totals.calls, "by_route": {route: totals.by_route[route] for route in ROUTES},
            "route_share": {route: rate(totals.by_route[route], totals.calls) for route in ROUTES}}


def _destinations(reads: Reads) -> dict:
    by_service = _totals(reads).by_service
    routed, diverted = sum(by_service[s] for s in SERVICES), sum(by_service[s] for s in DIVERTED)
    return {"by_destination": {service: by_service[service] for service in SERVICES},
            "diversion": {"diverted": diverted, "routed": routed, "rate": rate(diverted, routed)}}


def _key_figures(reads: Reads) -> dict:
    # Follow-ups cover all hours: a contact's follow-up call may come in or out of hours.
    totals = _totals(reads)
    abandoned = totals.by_route[Route.ABANDONED]
    return {
        "abandonment": {"abandoned": abandoned, "calls": totals.calls, "rate": rate(abandoned, totals.calls)},
        "no_input": {"calls": totals.no_input, "rate": rate(totals.no_input, totals.calls)},
        "invalid_key": {"calls": totals.invalid, "rate": rate(totals.invalid, totals.calls)},
        "median_seconds_to_route": median_from_counts(Counter({int(s): int(n) for s, n in _counts(reads).times})),
        "follow_up": follow_up(reads),
    }


def _key_rows(report: dict) -> list[list]:
    calls, follow_up = report["calls"], report["follow_up"]
    return [
        ["Calls", calls, None, None],
        ["Diverted to Infoline or Early Help", report["diversion"]["diverted"], report["diversion"]["routed"],
         report["diversion"]["rate"]],
        ["Hung up in the menu", report["abandonment"]["abandoned"], calls, report["abandonment"]["rate"]],
        ["Pressed nothing at least once", report["no_input"]["calls"], calls, report["no_input"]["rate"]],
        ["Pressed a wrong key at least once", report["invalid_key"]["calls"], calls, report["invalid_key"]["rate"]],
        ["School identified", report["identified"]["identified"], calls, report["identified"]["share"]],
        ["Contacts (at least 14 days old) followed up by another call within 14 days", follow_up["followed_up"],
         follow_up["contacts"], follow_up["rate"] if follow_up["contacts"] else None],
    ]


def _identified_rows(report: dict) -> list[list]:
    identified, calls = report["identified"], report["calls"]
    # Not identified is 1 - share, so the two shares always show as adding up to 100%.
    return [["Identified", identified["identified"], identified["share"]],
            ["Not identified", identified["unidentified"], 1 - identified["share"] if calls else 0.0]]


def _identified(reads: Reads) -> dict:
    totals = _totals(reads)
    return {"identified": {"identified": totals.identified, "unidentified": totals.calls - totals.identified,
                           "share": rate(totals.identified, totals.calls)}}


def _callbacks(reads: Reads) -> dict:
    # Callbacks cover all hours: they are counted by when they were created, not by the call's hours.
    states = reads.query(get_callback_states, reads.period.start, reads.period.end)
    return {"callbacks": {state: int(states.get(state, 0)) for state in CALLBACK_LABELS}}


def _callback_requests(reads: Reads) -> dict:
    # Requests cover all hours (they are taken in hours only), counted by when they were made.
    times = reads.query(get_callback_request_times, reads.period.start, reads.period.end)
    waits = Counter(int((done - asked).total_seconds()) for asked, done in times if done is not None)
    return {"callback_requests": {"requests": len(times), "called_back": sum(waits.values()),
                                  "median_seconds_to_call_back": median_from_counts(waits)}}


def _overflow(reads: Reads) -> dict:
    # Overflow comes from the steps: a caller sent on to MASH whose MASH leg ended in an urgent message is routed
    # VOICEMAIL for MASH by then. The rest of the unanswered are busy-line calls that stayed with their service.
    overflow = reads.query(get_overflowed_call_count, reads.period.start, reads.period.end,
                           reads.period.in_hours, OVERFLOW_KEY)
    stayed = sum(calls for route, service, transfer, calls, *_ in _counts(reads).routes
                 if service in DIVERTED and route not in Route.URGENT_LINES and transfer
                 and transfer.lower() not in ANSWERED)
    unanswered = stayed + overflow
    return {"overflow_to_mash": {"calls": overflow, "unanswered": unanswered, "share": rate(overflow, unanswered)}}


def _busy_line_rows(report: dict) -> list[list]:
    requests, overflow = report["callback_requests"], report["overflow_to_mash"]
    return [
        ["Callback requests", requests["requests"], None, None, None],
        ["Called back", requests["called_back"], requests["requests"],
         rate(requests["called_back"], requests["requests"]) if requests["requests"] else None,
         requests["median_seconds_to_call_back"]],
        ["Unanswered Infoline or Early Help calls that went on to MASH or EDT", overflow["calls"],
         overflow["unanswered"], overflow["share"] if overflow["unanswered"] else None, None],
    ]


def _kept(decided: int, kept: int) -> dict:
    return {"decided": decided, "kept": kept, "rate": rate(kept, decided)}


def _promise_kept(reads: Reads) -> dict:
    # Decisions cover all hours: they are counted by when they were made, not by the call's hours.
    counts = measures(reads).promise_kept()
    by_service = {service: _kept(*counts.get(service, (0, 0))) for service in Route.URGENT_LINES}
    return {"promise_kept": {**_kept(sum(s["decided"] for s in by_service.values()),
                                     sum(s["kept"] for s in by_service.values())),
                             "target": reads.promise_target, "by_service": by_service}}


def _promise_rows(report: dict) -> list[list]:
    kept = report["promise_kept"]
    lines = [(ROUTE_LABELS[service], kept["by_service"][service]) for service in Route.URGENT_LINES] + [("All", kept)]
    # No decisions is no share at all (shown as a dash), not a share of 0%.
    return [[label, n["decided"], n["kept"], n["rate"] if n["decided"] else None, kept["target"]] for label, n in lines]


def _median(values: list[float]) -> float | None:
    return median_from_counts(Counter(int(round(v)) for v in values))


def _message_line(rows: list[tuple]) -> dict:
    states = Counter(state for _, state, _ in rows)
    waits = [wait for _, _, wait in rows if wait is not None]
    return {"messages": len(rows), "by_state": {state: states[state] for state in MESSAGE_STATES},
            "acted_on": len(waits), "median_seconds_to_first_action": _median(waits)}


def _messages(reads: Reads) -> dict:
    # Messages cover all hours, counted by when they were left; the first action is the first change of state.
    rows = reads.query(get_message_actions, *day_bounds(reads.period.start, reads.period.end))
    return {"messages": {**_message_line(rows),
                         "by_service": {service: _message_line([r for r in rows if r[0] == service])
                                        for service in Route.LINES}}}


def _message_rows(report: dict) -> list[list]:
    messages = report["messages"]
    lines = [(ROUTE_LABELS[s], messages["by_service"][s]) for s in Route.LINES] + [("All", messages)]
    return [[label, *(n["by_state"][state] for state in MESSAGE_STATES), n["messages"],
             n["median_seconds_to_first_action"]] for label, n in lines]


def _urgent_alerts(reads: Reads) -> dict:
    # Alerts cover all hours: they are counted by when they were raised, as the callbacks are.
    times = reads.query(get_alert_times, *day_bounds(reads.period.start, reads.period.end))
    waits = [(accepted - raised).total_seconds() for raised, accepted in times if accepted is not None]
    return {"urgent_alerts": {"alerts": len(times), "acknowledged": len(waits),
                              "median_seconds_to_acknowledge": _median(waits)}}


def _share_of_all(rows: list[list]) -> list[list]:
    """(label, count) rows with each count's share of their sum."""
    total = sum(count for _, count in rows)
    return [[label, count, count / total if total else 0.0] for label, count in rows]


ROUTE_COLUMNS = tuple((ROUTE_LABELS[route], "int") for route in ROUTES)
SHARE = (("Calls", "int"), ("Share", "pct"))

FIGURES: tuple[Figure, ...] = (
    Figure("summary", "Key figures", "Key figures", _key_figures,
           (("Measure", "text"), ("Calls", "int"), ("Out of", "int"), ("Rate", "pct")), _key_rows),
    Figure("routes", "Calls by route", "Where calls went", _routes, (("Route", "text"), *SHARE),
           lambda report: [[ROUTE_LABELS[r], report["by_route"][r], report["route_share"][r]] for r in ROUTES],
           Chart("bar", lambda row: (row[0], row[1], f"{row[1]} ({row[2]:.0%})") if row[1] else None)),
    Figure("destinations", "Where routed calls went (messages count for their service)", "Where calls went",
           _destinations, (("Service", "text"), *SHARE),
           lambda report: _share_of_all([[ROUTE_LABELS[s], report["by_destination"][s]] for s in SERVICES])),
    Figure("transfers", "Transfer outcomes (last transfer of each call)", "Where calls went",
           lambda reads: {"transfer_outcomes": dict(sorted(_totals(reads).transfers.items()))},
           (("Outcome", "text"), *SHARE),
           lambda report: _share_of_all([[TRANSFER_LABELS.get(k, k), n]
                                         for k, n in report["transfer_outcomes"].items()]),
           Chart("bar", title="Transfer outcomes")),
    Figure("daily", "Calls per day", "Over time",
           lambda reads: {"daily": daily_rows(_counts(reads).daily, reads.period.days(reads.today))},
           (("Date", "text"), ("Calls", "int"), *ROUTE_COLUMNS),
           lambda report: [[d["date"], d["calls"], *(d[r] for r in ROUTES)] for d in report["daily"]],
           Chart("columns", lambda row: (row[0][5:], row[1])), scroll="scroll scroll--tall"),
    Figure("hour_of_week", "Calls by hour of the week (Europe/London)", "Over time",
           lambda reads: {"hour_of_week": hour_grid(_counts(reads).hours)},
           (("Day", "text"), *((f"{h:02d}:00", "int") for h in range(24))),
           lambda report: [[day, *line] for day, line in zip(WEEKDAYS, report["hour_of_week"])],
           Chart("heatmap", title="Calls by hour of the week", id="chart-hours"), scroll="scroll"),
    Figure("callbacks", "Status callbacks to DSLs (created in the period)", "Callbacks to DSLs", _callbacks,
           (("State", "text"), ("Callbacks", "int")),
           lambda report: [[CALLBACK_LABELS[k], n] for k, n in report["callbacks"].items()],
           Chart("bar", title="Status callbacks by state")),
    Figure("urgent_alerts", "Urgent alerts to the duty numbers (raised in the period)", "Urgent alerts",
           _urgent_alerts, (("Alerts raised", "int"), ("Accepted", "int"), ("Median time to accept", "seconds")),
           lambda report: [[report["urgent_alerts"]["alerts"], report["urgent_alerts"]["acknowledged"],
                            report["urgent_alerts"]["median_seconds_to_acknowledge"]]]),
    Figure("promise_kept", "Decisions made by the promised time (decided in the period)", "Promises kept",
           _promise_kept, (("Service", "text"), ("Decided", "int"), ("By the promised time", "int"),
                           ("Share kept", "pct"), ("Target", "pct")),
           _promise_rows,
           Chart("share", lambda row: (row[0], row[3], f"{row[3]:.0%} of {row[1]}") if row[1] else None,
                 title="Share of decisions made by the promised time, against the target",
                 target=lambda rows: rows[0][4] if rows else None)),
    Figure("messages", "Messages left, by their state now (left in the period)", "Messages", _messages,
           (("Service", "text"), *((MESSAGE_STATE_LABELS[state], "int") for state in MESSAGE_STATES),
            ("All", "int"), ("Median time to first action", "seconds")),
           _message_rows),
    Figure("busy_lines", "Busy Infoline and Early Help lines: callback requests and overflow to MASH",
           "Busy lines", lambda reads: {**_callback_requests(reads), **_overflow(reads)},
           (("Measure", "text"), ("Calls", "int"), ("Out of", "int"), ("Rate", "pct"),
            ("Median time to call back", "seconds")), _busy_line_rows),
    Figure("identified", "Caller's school identified", "Schools", _identified, (("School", "text"), *SHARE),
           _identified_rows, Chart("bar")),
    Figure("top_schools", f"Top {TOP_SCHOOLS} schools by MASH contacts", "Schools",
           lambda reads: {"top_schools": _schools(reads)[:TOP_SCHOOLS]},
           (("Rank", "int"), ("School", "text"), ("URN", "text"), ("MASH contacts", "int"), ("Pupils", "int"),
            ("MASH contacts per 100 pupils", "text"), ("All calls", "int")),
           lambda report: [[s["rank"], s["name"], s["urn"], s["mash_contacts"], s["pupils"], s["mash_per_100_pupils"],
                            s["calls"]] for s in report["top_schools"]],
           Chart("bar", lambda row: (row[1][:32], row[3], str(row[3])), id="chart-schools", label_width=260)),
    Figure("schools", "Calls per route for each school", "Schools", lambda reads: {"by_school": _schools(reads)},
           (("School", "text"), ("URN", "text"), ("Pupils", "int"), ("Calls", "int"), *ROUTE_COLUMNS,
            ("MASH contacts", "int"), ("MASH contacts per 100 pupils", "text")),
           lambda report: [[s["name"], s["urn"], s["pupils"], s["calls"], *(s["by_route"][r] for r in ROUTES),
                            s["mash_contacts"], s["mash_per_100_pupils"]] for s in report["by_school"]],
           scroll="scroll"),
    *OUTCOME_FIGURES,
)


def find(key: str) -> Figure | None:
    """The declared figure with this key (its table's CSV name)."""
    return next((figure for figure in FIGURES if figure.key == key), None)


def sections(report: dict) -> list[tuple[str, list[tuple[Figure, Table, Markup | None]]]]:
    """The figures by section, in declared order, each with its table and chart for this report."""
    shown: dict[str, list] = {}
    for figure in FIGURES:
        table = figure.table(report)
        shown.setdefault(figure.section, []).append((figure, table, figure.draw(table)))
    return list(shown.items())
