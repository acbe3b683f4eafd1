"""Trial results per variant: shares with Wilson CIs, tests against the control, sample sizes (pure, scipy)."""
from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from scipy import stats

from db.models import Route
from routing.statistics import two_proportion_test, wilson_interval  # noqa: F401  (the trials' own API)
from trials.allocation import is_known_caller
from trials.clusters import ClusterResults, cluster_analysis

ALPHA = 0.05
POWER = 0.80
DEFAULT_EFFECT = 0.05  # an absolute change of 5 percentage points
DEFAULT_EFFECT_SECONDS = 5.0
NO_FURTHER_ACTION = "no_further_action"
URGENT_LINES = (Route.MASH, Route.EDT)
DIVERTED = (Route.DSL_INFOLINE, Route.EARLY_HELP)
ROUTED = URGENT_LINES + DIVERTED
PROPORTION_TEST = "two-proportion z-test"
TIME_TEST = "Mann-Whitney U"


@dataclass(frozen=True)
class TrialCall:
    """What the analysis needs of one call in a trial (db rows with these attributes work too)."""

    variant: str
    service: str | None = None
    route: str | None = None
    no_input_count: int = 0
    invalid_count: int = 0
    started_at: datetime | None = None
    routed_at: datetime | None = None
    caller: str | None = None
    outcome: str | None = None  # the MASH contact's outcome, if the call opened one
    school_urn: int | None = None


@dataclass(frozen=True)
class Measure:
    """A yes/no measure: which calls count (denominator) and which of them succeed."""

    key: str
    label: str
    counts: Callable[[TrialCall], bool]
    hit: Callable[[TrialCall], bool]


def _all(_call) -> bool:
    return True


PROPORTIONS = (
    Measure("mash", "Routed to MASH (or EDT)", _all, lambda c: c.service in URGENT_LINES),
    Measure("infoline", "Routed to the DSL Infoline", _all, lambda c: c.service == Route.DSL_INFOLINE),
    Measure("early_help", "Routed to Early Help", _all, lambda c: c.service == Route.EARLY_HELP),
    Measure("diversion", "Diversion rate (Infoline + Early Help among routed calls)",
            lambda c: c.service in ROUTED, lambda c: c.service in DIVERTED),
    Measure("invalid", "Pressed an invalid key", _all, lambda c: (c.invalid_count or 0) > 0),
    Measure("no_input", "Pressed nothing (no input)", _all, lambda c: (c.no_input_count or 0) > 0),
    Measure("abandoned", "Hung up in the menu (abandoned)", _all, lambda c: c.route == Route.ABANDONED),
    Measure("needless_mash", "MASH contact decided no further action", _all,
            lambda c: c.outcome == NO_FURTHER_ACTION),
)
TIME_MEASURE = ("time_to_route", "Median time to route (seconds)")


@dataclass(frozen=True)
class ResultRow:
    """One line of the results table: a measure for one variant, against the control."""

    measure: str
    label: str
    variant: str
    is_control: bool
    unit: str  # "proportion" or "seconds"
    n: int
    count: int | None
    value: float | None
    ci_low: float | None
    ci_high: float | None
    difference: float | None
    p_value: float | None
    test: str
    needed: int | None
    reached: bool | None


@dataclass(frozen=True)
class TrialResults:
    """The whole results table, with calls and distinct callers per variant."""

    control: str
    variants: list[str]
    calls: dict[str, int]
    callers: dict[str, int]
    effect: float
    effect_seconds: float
    rows: list[ResultRow]
    unit: str = "caller"
    clusters: ClusterResults | None = None  # for a trial allocated by school


def sample_size_two_proportions(p1: float, p2: float, alpha: float = ALPHA, power: float = POWER) -> int:
    """Calls needed per variant to tell p1 from p2 (two-sided normal approximation, no continuity correction)."""
    if p1 == p2:
        raise ValueError("the effect must not be zero")
    za, zb = stats.norm.isf(alpha / 2), stats.norm.isf(1 - power)
    mean = (p1 + p2) / 2
    top = za * math.sqrt(2 * mean * (1 - mean)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(top**2 / (p1 - p2) ** 2)


def needed_for_change(base: float, effect: float) -> int | None:
    """Calls per variant to detect a change of `effect` either way from the control's rate (the larger)."""
    sizes = [sample_size_two_proportions(base, target) for target in (base - effect, base + effect)
             if 0 <= target <= 1]
    return max(sizes) if sizes else None


def sample_size_means(sd: float, effect: float, alpha: float = ALPHA, power: float = POWER) -> int | None:
    """Calls per variant to detect a shift of `effect` seconds given the spread sd (normal approximation)."""
    if effect <= 0 or sd <= 0:
        return None
    za, zb = stats.norm.isf(alpha / 2), stats.norm.isf(1 - power)
    return math.ceil(2 * (za + zb) ** 2 * sd**2 / effect**2)


def seconds_to_route(call) -> float | None:
    """Seconds from answer to the first route, if the call was routed."""
    if call.started_at is None or call.routed_at is None:
        return None
    return max((call.routed_at - call.started_at).total_seconds(), 0.0)


def _proportion_rows(measure: Measure, groups: dict[str, list], control: str, effect: float) -> list[ResultRow]:
    base = [c for c in groups[control] if measure.counts(c)]
    k0, n0 = sum(1 for c in base if measure.hit(c)), len(base)
    needed = needed_for_change(k0 / n0, effect) if n0 else None
    rows = []
    for variant, calls in groups.items():
        eligible = [c for c in calls if measure.counts(c)]
        k, n = sum(1 for c in eligible if measure.hit(c)), len(eligible)
        low, high = wilson_interval(k, n)
        diff = p_value = None
        if variant != control and n and n0:
            diff, p_value = two_proportion_test(k0, n0, k, n)
        reached = None if needed is None else min(n, n0) >= needed
        rows.append(ResultRow(measure.key, measure.label, variant, variant == control, "proportion", n, k,
                              k / n if n else None, low, high, diff, p_value, PROPORTION_TEST, needed, reached))
    return rows


def median_interval(values: list[float]) -> tuple[float | None, float | None]:
    """A distribution-free 95% interval for the median from order statistics (binomial, p = 1/2)."""
    n = len(values)
    j = int(stats.binom.ppf(ALPHA / 2, n, 0.5)) if n else 0
    if j < 1:
        return None, None
    ordered = sorted(values)
    return ordered[j - 1], ordered[n - j]


def _time_rows(groups: dict[str, list], control: str, effect_seconds: float) -> list[ResultRow]:
    times = {v: [t for t in map(seconds_to_route, calls) if t is not None] for v, calls in groups.items()}
    base = times[control]
    needed = sample_size_means(statistics.stdev(base), effect_seconds) if len(base) > 1 else None
    rows = []
    for variant, values in times.items():
        low, high = median_interval(values)
        median = statistics.median(values) if values else None
        diff = p_value = None
        if variant != control and values and base:
            diff = median - statistics.median(base)
            p_value = float(stats.mannwhitneyu(values, base, alternative="two-sided").pvalue)
        reached = None if needed is None else min(len(values), len(base)) >= needed
        rows.append(ResultRow(TIME_MEASURE[0], TIME_MEASURE[1], variant, variant == control, "seconds",
                              len(values), None, median, low, high, diff, p_value, TIME_TEST, needed, reached))
    return rows


def analyse(calls: Iterable, variants: list[str], control: str, effect: float = DEFAULT_EFFECT,
            effect_seconds: float = DEFAULT_EFFECT_SECONDS, unit: str = "caller") -> TrialResults:
    """Every measure for every variant, the control first, as the results table (school trials: clustered too)."""
    if control not in variants:
        raise ValueError(f"the control {control!r} is not a variant")
    if not 0 < effect < 1:
        raise ValueError("the effect is a change in share between 0 and 1 (0.05 = 5 percentage points)")
    order = [control] + [v for v in variants if v != control]
    groups: dict[str, list] = {v: [] for v in order}
    for call in calls:
        if call.variant in groups:
            groups[call.variant].append(call)
    rows = [row for m in PROPORTIONS for row in _proportion_rows(m, groups, control, effect)]
    rows += _time_rows(groups, control, effect_seconds)
    callers = {v: distinct_callers(cs) for v, cs in groups.items()}
    # Callers of one school hear one variant and act alike, so only the school-level spread is honest there.
    clusters = cluster_analysis(groups, control, PROPORTIONS) if unit == "school" else None
    return TrialResults(control, order, {v: len(cs) for v, cs in groups.items()}, callers, effect,
                        effect_seconds, rows, unit, clusters)


def distinct_callers(calls: list) -> int:
    """How many people called: repeat calls from one number count once, each withheld call once."""
    known = {c.caller for c in calls if is_known_caller(c.caller)}
    return len(known) + sum(1 for c in calls if not is_known_caller(c.caller))


CSV_COLUMNS = ("measure", "label", "variant", "control", "unit", "n", "count", "value", "ci_low", "ci_high",
               "difference", "p_value", "test", "needed_per_variant", "reached")
CLUSTER_COLUMNS = ("measure", "label", "variant", "control", "schools_or_calls", "n", "count", "value",
                   "cluster_ci_low", "cluster_ci_high", "design_effect", "difference", "difference_ci_low",
                   "difference_ci_high", "p_value", "test")
SCHOOL_COLUMNS = ("measure", "school_urn", "variant", "calls", "successes", "rate")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def to_csv(results: TrialResults) -> str:
    """The results table as CSV (opens in Excel): shares as fractions, times in seconds."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in results.rows:
        writer.writerow([_cell(v) for v in (r.measure, r.label, r.variant, r.is_control, r.unit, r.n, r.count,
                                            r.value, r.ci_low, r.ci_high, r.difference, r.p_value, r.test,
                                            r.needed, r.reached)])
    if results.clusters is not None:
        _write_clusters(writer, results.clusters)
    return out.getvalue()


def _write_clusters(writer, clusters: ClusterResults) -> None:
    """A school trial's CSV goes on with the clustered table and the per-school rates, each after a blank row."""
    writer.writerows([[], [f"clustered by school: {clusters.method}"], CLUSTER_COLUMNS])
    for r in clusters.rows:
        writer.writerow([_cell(v) for v in (r.measure, r.label, r.variant, r.is_control, r.clusters, r.n, r.count,
                                            r.value, r.ci_low, r.ci_high, r.design_effect, r.difference,
                                            r.diff_low, r.diff_high, r.p_value, r.test)])
    writer.writerows([[], ["per-school rates (school_urn blank: school not known, each call its own cluster)"],
                      SCHOOL_COLUMNS])
    for s in clusters.schools:
        writer.writerow([_cell(v) for v in (s.measure, s.urn, s.variant, s.calls, s.successes, s.rate)])
