"""What a dashboard figure is, and the period's reads its data comes from (each read once per report)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from markupsafe import Markup

from ivr.config import DEFAULT_PROMISE_TARGET, DEFAULT_UNIT_COST_GBP
from db.monthly_stats import Measures, get_measures
from db.stats import get_follow_up
from routing.hours import london_date
from staff.charts import Chart
from staff.stats import Period
from staff.tables import Table


class Reads:
    """A period's database reads for one report: each runs once, however many figures use it."""

    def __init__(self, session, period: Period, now: datetime, promise_target: float = DEFAULT_PROMISE_TARGET,
                 unit_cost_gbp: float = DEFAULT_UNIT_COST_GBP):
        self.session, self.period, self.now = session, period, now
        self.promise_target = promise_target  # the PROMISE_TARGET setting, drawn on the promise-kept chart
        self.unit_cost_gbp = unit_cost_gbp  # the UNIT_COST_GBP setting: what a needless contact costs
        self.today: date = london_date(now)
        self._done: dict = {}

    def query(self, function: Callable, *args):
        """function(session, *args), a query function from db/."""
        key = (function, args)
        if key not in self._done:
            self._done[key] = function(self.session, *args)
        return self._done[key]

    def once(self, function: Callable):
        """function(self): a sum over rows that several figures share."""
        if function not in self._done:
            self._done[function] = function(self)
        return self._done[function]


@dataclass(frozen=True)
class Figure:
    """One dashboard figure: the table `key` (its id and CSV name) captioned `label`, under `section`."""

    key: str
    label: str
    section: str
    data: Callable[[Reads], dict]  # its part of the report: the /api/stats keys it fills
    columns: tuple[tuple[str, str], ...]  # (heading, kind); kind int, pct, seconds or text
    rows: Callable[[dict], list[list]]  # the table's rows, from the whole report
    chart: Chart | None = None
    scroll: str = ""  # the CSS class of a box the table scrolls in (long or wide tables)

    def table(self, report: dict) -> Table:
        """The figure's table for a report: on the page and in its CSV alike."""
        return Table(self.key, self.label, list(self.columns), self.rows(report))

    def draw(self, table: Table) -> Markup | None:
        """The figure's chart, drawn from its table's rows."""
        return self.chart.draw(self.key, self.label, table.rows) if self.chart else None


def shared(function: Callable[[Reads], object]) -> Callable[[Reads], object]:
    """A sum several figures use, worked out once per report."""
    return lambda reads: reads.once(function)


def follow_up(reads: Reads) -> dict:
    """The period's follow-up rate, split by whether a status update came first (read once per report)."""
    return dict(reads.query(get_follow_up, reads.period.start, reads.period.end, reads.now))


def measures(reads: Reads) -> Measures:
    """The period's contacts by outcome, promises kept and verdicts (settled months from their rows; read once)."""
    return reads.query(get_measures, reads.period.start, reads.period.end, reads.now)
