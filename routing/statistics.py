"""Shared statistics for the figures and the trials: Wilson intervals, two-proportion tests, ratios (pure)."""
from __future__ import annotations

import math

from scipy import stats

ALPHA = 0.05
TOO_FEW = 30  # a group under this many units is marked "too few to compare"


def wilson_interval(k: int, n: int, confidence: float = 1 - ALPHA) -> tuple[float | None, float | None]:
    """The Wilson score interval for k successes in n."""
    if n <= 0:
        return None, None
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Difference p2 - p1 and the two-sided p-value of the pooled two-proportion z-test."""
    p1, p2 = k1 / n1, k2 / n2
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return p2 - p1, 1.0  # both groups all-yes or all-no: no evidence of a difference
    z = (p2 - p1) / se
    return p2 - p1, float(2 * stats.norm.sf(abs(z)))


def ratio_interval(contacts: int, referrals: int) -> tuple[float | None, float | None]:
    """A 95% interval for contacts / referrals: the Wilson interval of referrals / contacts, inverted."""
    low, high = wilson_interval(referrals, contacts)
    if low is None:
        return None, None
    # The share's upper bound gives the ratio's lower one; a share that may be 0 leaves the ratio unbounded.
    return 1 / high, (1 / low if low > 0 else None)


def mean_interval(values: list[int], confidence: float = 1 - ALPHA) -> tuple[float | None, float | None]:
    """A t interval for the mean of per-unit counts (e.g. contacts per DSL); None with fewer than two."""
    n = len(values)
    if n < 2:
        return None, None
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.isf((1 - confidence) / 2, n - 1)) * sd / math.sqrt(n)
    return max(mean - half, 0.0), mean + half
