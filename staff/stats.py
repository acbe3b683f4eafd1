"""Pure aggregation for the dashboard and the API: a period, labels, and sums over rows of figures."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Mapping

from db.daily_stats import IN_PROGRESS, ROUTES
from db.models import Route

ROUTE_LABELS = {**Route.LABELS, IN_PROGRESS: "In progress"}
# Where a routed call ended up (a message counts for the service it was left for);
# the diversion rate is the non-urgent lines' share of these.
SERVICES = Route.LINES
DIVERTED = tuple(line for line in Route.LINES if line not in Route.URGENT_LINES)
TRANSFER_LABELS = {
    "completed": "Answered",
    "answered": "Answered",
    "busy": "Busy",
    "no-answer": "No answer",
    "failed": "Failed",
    "canceled": "Caller hung up while ringing",
}
CALLBACK_LABELS = {"scheduled": "Scheduled", "sending": "Sending", "sent": "Sent (not yet confirmed)",
                   "delivered": "Delivered", "failed": "Failed", "cancelled": "Cancelled",
                   "unconfirmed": "Sent? Asking Twilio", "checking": "Sent? Asking Twilio",
                   "uncertain": "Uncertain: check Twilio before sending again"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOURS_FILTER = {"all": None, "in": True, "out": False}
TOP_SCHOOLS = 30
DEFAULT_DAYS = 30
MAX_DAYS = 3660


class PeriodError(ValueError):
    """A date range or hours filter that cannot be used; the message says why."""


@dataclass(frozen=True)
class Period:
    """London days start..end inclusive, and which calls: all, in hours or out of hours."""

    start: date
    end: date
    hours: str = "all"

    @property
    def in_hours(self) -> bool | None:
        return HOURS_FILTER[self.hours]

    def days(self, today: date) -> list[date]:
        """Every day of the period up to today."""
        last = min(self.end, today)
        return [self.start + timedelta(days=n) for n in range(max((last - self.start).days + 1, 0))]

    def query(self) -> dict[str, str]:
        """The period as URL query arguments."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "hours": self.hours}


def _parse_date(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise PeriodError(f"'{name}' must be a date written YYYY-MM-DD, got {raw[:40]!r}") from None


def parse_period(args: Mapping[str, str], today: date) -> Period:
    """A Period from `from`, `to` (YYYY-MM-DD) and `hours` (all, in, out); the default is the last 30 days."""
    raw_from, raw_to = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    end = _parse_date(raw_to, "to") if raw_to else today
    start = _parse_date(raw_from, "from") if raw_from else end - timedelta(days=DEFAULT_DAYS - 1)
    hours = (args.get("hours") or "all").strip().lower()
    if hours not in HOURS_FILTER:
        raise PeriodError(f"'hours' must be all, in or out, got {hours[:20]!r}")
    if start > end:
        raise PeriodError(f"'from' ({start}) must not be after 'to' ({end})")
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(f"the range may cover at most {MAX_DAYS} days")
    return Period(start, end, hours)


def rate(part: int, whole: int) -> float:
    """part / whole, or 0.0 when there is nothing to divide."""
    return part / whole if whole else 0.0


def median_from_counts(counts: Mapping[int, int]) -> float | None:
    """The median of values given as {value: how many}, or None when empty."""
    total = sum(counts.values())
    if not total:
        return None
    middle = ((total - 1) // 2, total // 2)
    found, seen = [], 0
    for value in sorted(counts):
        seen_next = seen + counts[value]
        found += [value for position in middle if seen <= position < seen_next]
        seen = seen_next
    return sum(found) / 2


def destination(route: str, service: str) -> str:
    """The service a call reached: its route, or for a message the service it was left for."""
    return service if route == Route.VOICEMAIL else route


@dataclass(frozen=True)
class RouteTotals:
    """A period's calls summed by route, by the service reached and by transfer outcome, with its measures."""

    by_route: Counter
    by_service: Counter
    transfers: Counter
    calls: int
    no_input: int
    invalid: int
    identified: int


def route_totals(routes: list) -> RouteTotals:
    """Sum rows of (route, service, transfer, calls, no_input, invalid, identified)."""
    by_route, by_service, transfers = Counter(), Counter(), Counter()
    measures = [0, 0, 0, 0]
    for route, service, transfer, *counts in routes:
        by_route[route or IN_PROGRESS] += counts[0]
        by_service[destination(route, service)] += counts[0]
        if transfer:
            transfers[transfer] += counts[0]
        measures = [a + int(b) for a, b in zip(measures, counts)]
    return RouteTotals(by_route, by_service, transfers, *measures)


def daily_rows(daily: list, days: list[date]) -> list[dict]:
    """One row per day (every day, none left out): its calls in all and by route."""
    per_day: dict = defaultdict(Counter)
    for day, route, calls in daily:
        per_day[day][route or IN_PROGRESS] += int(calls)
    return [{"date": day.isoformat(), "calls": sum(per_day[day].values()),
             **{route: per_day[day][route] for route in ROUTES}} for day in days]


def hour_grid(hours: list) -> list[list[int]]:
    """Calls by weekday (Monday first) and hour, from rows of (weekday, hour, calls)."""
    grid = [[0] * 24 for _ in WEEKDAYS]
    for weekday, hour, calls in hours:
        grid[weekday][hour] += int(calls)
    return grid


def school_table(schools: list, names: Mapping[int, tuple[str, int | None]]) -> list[dict]:
    """One row per school: calls by route, MASH contacts and contacts per 100 pupils; most MASH first."""
    table: dict = {}
    for urn, calls, by_route, urgent in schools:
        name, pupils = names.get(urn, (f"URN {urn}", None))
        row = table.setdefault(urn, {"urn": urn, "name": name, "pupils": pupils, "calls": 0,
                                     "mash_contacts": 0, "by_route": dict.fromkeys(ROUTES, 0)})
        row["calls"] += calls
        row["mash_contacts"] += urgent
        for route, count in by_route.items():
            row["by_route"][route] += count
    for row in table.values():
        pupils = row["pupils"]
        row["mash_per_100_pupils"] = round(100 * row["mash_contacts"] / pupils, 2) if pupils else None
    ranked = sorted(table.values(), key=lambda r: (-r["mash_contacts"], -r["calls"], r["name"]))
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position
    return ranked
