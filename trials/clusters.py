"""Trials allocated by school: per-school rates, and intervals and tests with the school as the cluster (pure)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from scipy import stats

if TYPE_CHECKING:
    from trials.analysis import Measure

ALPHA = 0.05
CLUSTER_METHOD = "ratio estimator with between-school (cluster-robust) variance"
CLUSTER_TEST = "cluster-adjusted z-test"


@dataclass(frozen=True)
class ClusterRow:
    """One measure for one variant with the school as the cluster, and its difference against the control."""

    measure: str
    label: str
    variant: str
    is_control: bool
    clusters: int
    n: int
    count: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    design_effect: float | None
    difference: float | None
    diff_low: float | None
    diff_high: float | None
    p_value: float | None
    test: str = CLUSTER_TEST


@dataclass(frozen=True)
class SchoolRate:
    """One school's calls in one variant for one measure; urn None gathers the calls whose school is not known."""

    measure: str
    urn: int | None
    variant: str
    calls: int
    successes: int

    @property
    def rate(self) -> float | None:
        """The school's share of successes."""
        return self.successes / self.calls if self.calls else None


@dataclass(frozen=True)
class ClusterResults:
    """The cluster-adjusted table and the per-school rates behind it."""

    method: str
    rows: list[ClusterRow]
    schools: list[SchoolRate]


def cluster_totals(calls: Iterable, measure: Measure) -> list[tuple[int, int]]:
    """(eligible calls, successes) per school; a call whose school is not known is a cluster of its own."""
    totals: dict[object, list[int]] = {}
    for index, call in enumerate(calls):
        if not measure.counts(call):
            continue
        urn = getattr(call, "school_urn", None)
        # An unknown school's caller was allocated alone (by caller), so the call is its own cluster.
        key = ("school", urn) if urn is not None else ("call", index)
        pair = totals.setdefault(key, [0, 0])
        pair[0] += 1
        pair[1] += 1 if measure.hit(call) else 0
    return [(m, y) for m, y in totals.values()]


def ratio_estimate(totals: list[tuple[int, int]]) -> tuple[float | None, float | None]:
    """The pooled share sum(y)/sum(m) and its between-cluster variance k/(k-1) * sum((y - p m)^2) / (sum m)^2."""
    n = sum(m for m, _ in totals)
    if n == 0:
        return None, None
    p = sum(y for _, y in totals) / n
    k = len(totals)
    if k < 2:
        return p, None  # one cluster says nothing about how clusters vary
    spread = sum((y - p * m) ** 2 for m, y in totals)
    return p, k / (k - 1) * spread / n**2


def cluster_interval(totals: list[tuple[int, int]], confidence: float = 1 - ALPHA
                     ) -> tuple[float | None, float | None, float | None]:
    """The share with its cluster-adjusted normal interval, clipped to [0, 1]."""
    p, variance = ratio_estimate(totals)
    if p is None or variance is None:
        return p, None, None
    half = stats.norm.isf((1 - confidence) / 2) * math.sqrt(variance)
    return p, max(p - half, 0.0), min(p + half, 1.0)


def design_effect(totals: list[tuple[int, int]]) -> float | None:
    """How many times the clustered variance exceeds the variance of as many independent calls."""
    p, variance = ratio_estimate(totals)
    n = sum(m for m, _ in totals)
    if p is None or variance is None or p in (0.0, 1.0):
        return None
    return variance / (p * (1 - p) / n)


def cluster_difference(control: list[tuple[int, int]], variant: list[tuple[int, int]],
                       confidence: float = 1 - ALPHA) -> tuple[float | None, float | None, float | None, float | None]:
    """The variant's share minus the control's, with its cluster-adjusted interval and two-sided p-value."""
    p0, v0 = ratio_estimate(control)
    p1, v1 = ratio_estimate(variant)
    if None in (p0, v0, p1, v1):
        return (None if None in (p0, p1) else p1 - p0), None, None, None
    difference, se = p1 - p0, math.sqrt(v0 + v1)
    if se == 0:
        return difference, difference, difference, 1.0  # every school all-yes or all-no: nothing to test against
    half = stats.norm.isf((1 - confidence) / 2) * se
    return difference, difference - half, difference + half, float(2 * stats.norm.sf(abs(difference) / se))


def school_rates(calls: Iterable, measure: Measure, variant: str) -> list[SchoolRate]:
    """Each school's calls and successes, by URN, then the calls whose school is not known."""
    counts: dict[int | None, list[int]] = {}
    for call in calls:
        if measure.counts(call):
            pair = counts.setdefault(getattr(call, "school_urn", None), [0, 0])
            pair[0] += 1
            pair[1] += 1 if measure.hit(call) else 0
    order = sorted(u for u in counts if u is not None) + ([None] if None in counts else [])
    return [SchoolRate(measure.key, urn, variant, *counts[urn]) for urn in order]


def cluster_analysis(groups: dict[str, list], control: str, measures: Iterable[Measure]) -> ClusterResults:
    """Every yes/no measure per variant with the school as the cluster, and every school's rates."""
    rows, schools = [], []
    for measure in measures:
        base = cluster_totals(groups[control], measure)
        for variant, calls in groups.items():
            totals = cluster_totals(calls, measure)
            value, low, high = cluster_interval(totals)
            diff = diff_low = diff_high = p_value = None
            if variant != control:
                diff, diff_low, diff_high, p_value = cluster_difference(base, totals)
            rows.append(ClusterRow(measure.key, measure.label, variant, variant == control, len(totals),
                                   sum(m for m, _ in totals), sum(y for _, y in totals), value, low, high,
                                   design_effect(totals), diff, diff_low, diff_high, p_value))
            schools += school_rates(calls, measure, variant)
    return ClusterResults(CLUSTER_METHOD, rows, schools)
