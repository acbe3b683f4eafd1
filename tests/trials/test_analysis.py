"""Trial statistics against worked examples with known answers, and the results table."""
from __future__ import annotations

import csv
import io
import math
import random
from datetime import datetime, timedelta, timezone

import pytest
from scipy import stats

from db.models import Route
from trials.analysis import (TrialCall, analyse, median_interval, needed_for_change, sample_size_means,
                             sample_size_two_proportions, to_csv, two_proportion_test, wilson_interval)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


def test_the_reports_table_21_vs_5_percent_of_dsls_is_a_significant_difference():
    # The report: 21% of 984 DSLs in the comparison group made a non-urgent MASH contact, 5% of 165 trained.
    k1, n1, k2, n2 = round(0.21 * 984), 984, round(0.05 * 165), 165
    difference, p_value = two_proportion_test(k1, n1, k2, n2)
    # Independently: Pearson's chi-square on the 2x2 table without Yates' correction is the same test.
    chi2, expected_p, _, _ = stats.chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)
    assert p_value == pytest.approx(expected_p, rel=1e-9)
    assert difference == pytest.approx(8 / 165 - 207 / 984)
    assert round(difference * 100) == -16 and p_value < 0.001


def test_identical_groups_show_no_difference():
    assert two_proportion_test(30, 100, 30, 100) == (0.0, 1.0)
    assert two_proportion_test(0, 50, 0, 80) == (0.0, 1.0)


@pytest.mark.parametrize("k, n, low, high", [
    # Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score).
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_intervals_match_newcombes_worked_examples(k, n, low, high):
    got_low, got_high = wilson_interval(k, n)
    assert (round(got_low, 4), round(got_high, 4)) == (low, high)


def test_no_calls_give_no_interval():
    assert wilson_interval(0, 0) == (None, None)


def test_the_textbook_sample_size_for_10_vs_15_percent_is_686_per_group():
    # alpha 0.05 two-sided, power 80%, normal approximation without continuity correction.
    assert sample_size_two_proportions(0.10, 0.15) == 686
    assert sample_size_two_proportions(0.15, 0.10) == 686


def achieved_power(p1: float, p2: float, n: int) -> float:
    """Power of the pooled two-proportion z-test at n per group (normal approximation)."""
    za = stats.norm.isf(0.025)
    mean = (p1 + p2) / 2
    se0 = math.sqrt(2 * mean * (1 - mean) / n)
    se1 = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n)
    return stats.norm.cdf((abs(p1 - p2) - za * se0) / se1)


@pytest.mark.parametrize("p1, p2", [(0.21, 0.05), (0.6, 0.5), (0.3, 0.35)])
def test_the_sample_size_is_the_smallest_giving_80_percent_power(p1, p2):
    n = sample_size_two_proportions(p1, p2)
    assert achieved_power(p1, p2, n) >= 0.80 > achieved_power(p1, p2, n - 1)


def test_the_needed_size_takes_the_harder_direction_of_change():
    # From 20%, a rise to 25% needs more calls than a fall to 15% (more variance near one half).
    assert needed_for_change(0.20, 0.05) == sample_size_two_proportions(0.20, 0.25)
    assert needed_for_change(0.98, 0.05) == sample_size_two_proportions(0.98, 0.93)


def test_the_textbook_sample_size_for_a_shift_of_half_a_standard_deviation_is_63_per_group():
    assert sample_size_means(sd=10, effect=5) == 63


def test_the_median_interval_uses_the_binomial_order_statistics():
    values = [float(v) for v in range(1, 11)]
    assert median_interval(values) == (2.0, 9.0)  # the 2nd and 9th of ten (97.9% coverage)
    assert median_interval([1.0, 2.0, 3.0, 4.0, 5.0]) == (None, None)  # five values cannot reach 95%


def call(variant, service=None, route=None, seconds=None, caller=None, outcome=None, no_input=0, invalid=0):
    routed = T0 + timedelta(seconds=seconds) if seconds is not None else None
    return TrialCall(variant, service, route or service, no_input, invalid, T0, routed, caller, outcome)


def sample_calls() -> list[TrialCall]:
    calls = []
    # Control: 6 MASH (2 later "no further action"), 2 Infoline, 1 Early Help, 1 abandoned.
    calls += [call("control", Route.MASH, seconds=10 + i, caller=f"+44207946001{i}",
                   outcome="no_further_action" if i < 2 else "referral") for i in range(6)]
    calls += [call("control", Route.DSL_INFOLINE, seconds=30, caller="+442079460020", invalid=1) for _ in range(2)]
    calls += [call("control", Route.EARLY_HELP, Route.VOICEMAIL, seconds=40, caller="withheld")]
    calls += [call("control", None, Route.ABANDONED, caller="withheld", no_input=1)]
    # Norms: 2 MASH, 5 Infoline, 1 Early Help, 1 EDT out of hours, 1 status check.
    calls += [call("norms", Route.MASH, seconds=12, caller="+442079460030") for _ in range(2)]
    calls += [call("norms", Route.DSL_INFOLINE, seconds=20 + i, caller=f"+44207946004{i}") for i in range(5)]
    calls += [call("norms", Route.EARLY_HELP, seconds=25, caller="+442079460050"),
              call("norms", Route.EDT, seconds=11, caller="+442079460051"),
              call("norms", Route.STATUS_CHECK, seconds=8, caller="+442079460052")]
    return calls


def row(results, measure, variant):
    return next(r for r in results.rows if r.measure == measure and r.variant == variant)


def test_each_measure_is_counted_per_variant_with_the_control_first():
    results = analyse(sample_calls(), ["norms", "control"], "control")
    assert results.variants == ["control", "norms"]
    assert results.calls == {"control": 10, "norms": 10}
    assert results.callers == {"control": 9, "norms": 9}  # repeat numbers once, withheld calls each
    assert (row(results, "mash", "control").count, row(results, "mash", "norms").count) == (6, 3)  # EDT counts
    assert row(results, "infoline", "norms").value == pytest.approx(0.5)
    assert row(results, "early_help", "control").count == 1  # a message for Early Help still chose it
    diversion = row(results, "diversion", "norms")
    assert (diversion.count, diversion.n) == (6, 9)  # the status check is not a routed call
    assert row(results, "abandoned", "control").count == 1
    assert row(results, "invalid", "control").count == 2 and row(results, "no_input", "control").count == 1
    assert row(results, "needless_mash", "control").count == 2 and row(results, "needless_mash", "norms").count == 0


def test_variants_are_compared_with_the_control():
    results = analyse(sample_calls(), ["control", "norms"], "control")
    mash = row(results, "mash", "norms")
    assert mash.difference == pytest.approx(0.3 - 0.6)
    assert mash.p_value == pytest.approx(two_proportion_test(6, 10, 3, 10)[1])
    assert row(results, "mash", "control").difference is None
    low, high = wilson_interval(3, 10)
    assert (mash.ci_low, mash.ci_high) == (low, high)


def test_time_to_route_is_a_median_compared_by_mann_whitney():
    results = analyse(sample_calls(), ["control", "norms"], "control")
    control, norms = row(results, "time_to_route", "control"), row(results, "time_to_route", "norms")
    assert control.n == 9 and control.value == 14  # the abandoned call never routed
    assert norms.value == 20.5 and norms.difference == 6.5
    control_times = [10, 11, 12, 13, 14, 15, 30, 30, 40]
    norms_times = [12, 12, 20, 21, 22, 23, 24, 25, 11, 8]
    assert norms.p_value == pytest.approx(stats.mannwhitneyu(norms_times, control_times).pvalue)
    assert norms.test == "Mann-Whitney U"


def test_a_variant_with_no_calls_shows_empty_cells_not_errors():
    results = analyse(sample_calls(), ["control", "norms", "plain"], "control")
    plain = row(results, "mash", "plain")
    assert plain.n == 0 and plain.value is None and plain.p_value is None and plain.ci_low is None


def simulated(seed: int, shares: dict[str, float], n: int) -> list[TrialCall]:
    rng = random.Random(seed)
    calls = []
    for variant, mash_share in shares.items():
        for _ in range(n):
            service = Route.MASH if rng.random() < mash_share else Route.DSL_INFOLINE
            calls.append(call(variant, service, seconds=rng.uniform(8, 40)))
    return calls


def test_a_real_effect_is_found_and_the_needed_size_reached():
    results = analyse(simulated(1, {"control": 0.60, "norms": 0.50}, 2000), ["control", "norms"], "control")
    mash = row(results, "mash", "norms")
    assert mash.p_value < 0.001 and mash.difference == pytest.approx(-0.10, abs=0.03)
    assert mash.needed == needed_for_change(row(results, "mash", "control").value, 0.05) and mash.reached


def test_no_effect_is_not_significant_and_small_trials_have_not_reached_their_size():
    results = analyse(simulated(2, {"control": 0.55, "norms": 0.55}, 150), ["control", "norms"], "control")
    mash = row(results, "mash", "norms")
    assert mash.p_value > 0.05 and mash.reached is False


def test_the_chosen_effect_sets_the_needed_size():
    calls = simulated(3, {"control": 0.5, "norms": 0.5}, 50)
    small = row(analyse(calls, ["control", "norms"], "control", effect=0.02), "mash", "norms").needed
    large = row(analyse(calls, ["control", "norms"], "control", effect=0.10), "mash", "norms").needed
    assert small > large
    with pytest.raises(ValueError):
        analyse(calls, ["control", "norms"], "control", effect=5)


def test_the_csv_holds_every_row_of_the_table():
    results = analyse(sample_calls(), ["control", "norms"], "control")
    rows = list(csv.DictReader(io.StringIO(to_csv(results))))
    assert len(rows) == len(results.rows) == 9 * 2
    mash = next(r for r in rows if r["measure"] == "mash" and r["variant"] == "norms")
    assert (mash["n"], mash["count"], float(mash["value"]), mash["control"]) == ("10", "3", 0.3, "no")
    assert float(mash["difference"]) == pytest.approx(-0.3) and 0 < float(mash["p_value"]) < 1
    assert next(r for r in rows if r["measure"] == "mash" and r["variant"] == "control")["difference"] == ""
