"""Trials allocated by school: the trial file's unit, one variant per school, and the clustered analysis."""
from __future__ import annotations

import math

import pytest
from scipy import stats
from sqlmodel import Session, select

from db.models import Call, School, SchoolPhone, Trial
from routing.statistics import wilson_interval
from tests.staff_support import page, signed_in_client, table_rows
from tests.trial_support import make_trial, trial_data
from tests.twilio_client import call_params
from trials.allocation import choose_variant
from trials.analysis import TrialCall, analyse, to_csv
from trials.clusters import CLUSTER_METHOD, cluster_difference, cluster_interval, ratio_estimate
from trials.definition import TrialDefinitionError, parse_definition

SHARES = {"control": 0.5, "norms": 0.5}
SCHOOLS = list(range(140001, 140041))


def test_a_trial_file_may_allocate_by_school_and_by_caller_is_the_default():
    assert parse_definition(trial_data()).unit == "caller"
    assert parse_definition(trial_data(unit="school")).unit == "school"


def test_any_other_unit_is_refused_naming_the_field():
    with pytest.raises(TrialDefinitionError) as refused:
        parse_definition(trial_data(unit="class"))
    assert any(error.startswith("unit: must be caller or school") for error in refused.value.errors)


def test_every_caller_of_a_school_hears_its_variant_and_schools_spread_over_the_variants():
    callers = [f"+442079460{i:03d}" for i in range(30)]
    for urn in SCHOOLS:
        assert len({choose_variant(3, SHARES, caller, school_urn=urn) for caller in callers}) == 1
    assert {choose_variant(3, SHARES, callers[0], school_urn=urn) for urn in SCHOOLS} == set(SHARES)
    # No school: the caller's own sticky draw, exactly as in a trial by caller.
    assert [choose_variant(3, SHARES, c, school_urn=None) for c in callers] == [choose_variant(3, SHARES, c)
                                                                                 for c in callers]


def _incoming(twilio, n: int, caller: str):
    return twilio.twiml("/voice/incoming", call_params(call_sid=f"CA{n:032d}", caller=caller))


def test_callers_of_a_registered_school_share_its_variant_through_the_webhook(twilio, engine, clock):
    now = clock.now
    with Session(engine) as session:
        session.add_all([School(urn=urn, name=f"School {urn}", updated_at=now) for urn in SCHOOLS[:12]])
        session.flush()
        # Three DSL numbers per school.
        session.add_all([SchoolPhone(urn=urn, number=f"+4420794{60000 + i * 3 + k:05d}") for i, urn in
                         enumerate(SCHOOLS[:12]) for k in range(3)])
        session.commit()
    trial_id = make_trial(engine, now, unit="school")
    n = 0
    for i in range(12):
        for k in range(3):
            _incoming(twilio, n, f"+4420794{60000 + i * 3 + k:05d}")
            n += 1
    _incoming(twilio, n, "+441214960555")  # an unknown number: allocated by caller
    with Session(engine) as session:
        assert session.get(Trial, trial_id).unit == "school"
        calls = list(session.exec(select(Call).order_by(Call.id)))
    by_school: dict = {}
    for call in calls[:-1]:
        by_school.setdefault(call.school_urn, set()).add(call.variant)
    assert all(len(variants) == 1 for variants in by_school.values()) and len(by_school) == 12
    assert {v for vs in by_school.values() for v in vs} == {"control", "norms"}
    unknown = calls[-1]
    assert unknown.school_urn is None and unknown.variant == choose_variant(trial_id, SHARES, unknown.caller)


def test_the_clustered_interval_is_wider_than_the_naive_one_when_schools_differ():
    # Four schools of four calls: 3, 1, 3 and 1 successes. Pooled share 8/16.
    totals = [(4, 3), (4, 1), (4, 3), (4, 1)]
    p, variance = ratio_estimate(totals)
    expected = 4 / 3 * sum((y - 0.5 * m) ** 2 for m, y in totals) / 16 ** 2
    assert p == 0.5 and variance == pytest.approx(expected) and variance == pytest.approx(1 / 48)
    _, low, high = cluster_interval(totals)
    half = stats.norm.isf(0.025) * math.sqrt(1 / 48)
    assert (low, high) == pytest.approx((0.5 - half, 0.5 + half))
    naive_low, naive_high = wilson_interval(8, 16)
    assert high - low > naive_high - naive_low


def test_the_clustered_difference_adds_both_variants_school_variances():
    control, variant = [(4, 3), (4, 1), (4, 3), (4, 1)], [(4, 4), (4, 2), (4, 4), (4, 2)]
    difference, low, high, p_value = cluster_difference(control, variant)
    se = math.sqrt(1 / 48 + ratio_estimate(variant)[1])
    assert difference == pytest.approx(0.25) and high - low == pytest.approx(2 * stats.norm.isf(0.025) * se)
    assert p_value == pytest.approx(2 * stats.norm.sf(0.25 / se))


def test_a_school_trial_s_csv_gives_each_school_s_rate():
    calls = [TrialCall("control" if urn % 2 else "norms", service=route, route=route, school_urn=urn,
                       caller=f"+44207946{i:04d}")
             for i, (urn, route) in enumerate([(1, "MASH"), (1, "DSL_INFOLINE"), (2, "MASH"), (2, "MASH"),
                                               (3, "DSL_INFOLINE"), (4, "DSL_INFOLINE")])]
    results = analyse(calls, ["control", "norms"], "control", unit="school")
    assert results.clusters.method == CLUSTER_METHOD
    text = to_csv(results)
    assert "school_urn" in text
    schools = {(r.urn, r.variant): (r.calls, r.successes) for r in results.clusters.schools if r.measure == "diversion"}
    assert schools[(1, "control")] == (2, 1) and schools[(2, "norms")] == (2, 0)
    assert analyse(calls, ["control", "norms"], "control").clusters is None


def test_a_school_trial_s_page_says_so_and_shows_the_clustered_tables(app, twilio, engine, clock):
    with Session(engine) as session:
        session.add(School(urn=SCHOOLS[0], name="One School", updated_at=clock.now))
        session.flush()
        session.add(SchoolPhone(urn=SCHOOLS[0], number="+442079460700"))
        session.commit()
    trial_id = make_trial(engine, clock.now, unit="school")
    _incoming(twilio, 900, "+442079460700")
    doc = page(signed_in_client(app, "admin").get(f"/trials/{trial_id}"))
    assert doc.xpath("string(//dd[@id='trial-unit'])").startswith("each school")
    assert doc.xpath("//table[@id='clustered']//tbody/tr")
    assert str(SCHOOLS[0]) in [row[1] for row in table_rows(doc, "schools")]
    caller_trial = make_trial(engine, clock.now, name="by-caller", start="2026-12-01", end="2026-12-02")
    plain = page(signed_in_client(app, "admin", username="admin2").get(f"/trials/{caller_trial}"))
    assert plain.xpath("string(//dd[@id='trial-unit'])") == "each caller" and not plain.xpath("//table[@id='clustered']")
