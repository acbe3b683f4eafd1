"""The report's measures: outcomes, contacts per referral, needless contacts, their cost, times and DSL training."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from itertools import count

import pytest
from scipy import stats

from db.models import Call, Contact, Dsl, Route, School, Verdict
from db.session import session_scope
from routing.statistics import two_proportion_test, wilson_interval
from staff.cli import tokens_group
from staff.report import gather_report
from staff.stats import Period
from tests.staff_support import page, signed_in_client, table_rows

PERIOD = Period(date(2026, 11, 9), date(2026, 11, 24))
NOW = datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
ABBEY, BROOK, CASTLE = 100001, 100002, 100003
TUESDAY, FRIDAY, SATURDAY = (datetime(2026, 11, d, h, tzinfo=timezone.utc) for d, h in ((10, 10), (13, 16), (14, 11)))
_ids = count(1)

# (school, outcome or None while undecided, when, DSL): MASH contacts unless a service is given.
CONTACTS = [
    *[(ABBEY, "no_further_action", TUESDAY, None)] * 3, (ABBEY, "social_care_assessment", TUESDAY, None),
    (ABBEY, None, TUESDAY, None),
    *[(BROOK, "strategy_discussion", FRIDAY, None)] * 2, (BROOK, "early_help", FRIDAY, None),
    (BROOK, "other", FRIDAY, None),
    (CASTLE, "no_further_action", SATURDAY, None), (None, "social_care_assessment", SATURDAY, None),
]


def _add_contact(session, urn, outcome, when, dsl_id=None, service=Route.MASH):
    n = next(_ids)
    call = Call(call_sid=f"CA{n:032d}", caller="+447700900123", started_at=when - timedelta(minutes=3),
                route=service, service=service, school_urn=urn, dsl_id=dsl_id)
    session.add(call)
    session.flush()
    session.add(Contact(reference=str(500000 + n), call_id=call.id, school_urn=urn, dsl_id=dsl_id, service=service,
                        created_at=when, status="decided" if outcome else "received", outcome=outcome,
                        decided_at=when + timedelta(hours=2) if outcome else None))


@pytest.fixture
def contacts(engine):
    with session_scope(engine) as session:
        session.add_all([School(urn=ABBEY, name="Abbey Primary School", pupils=200, updated_at=NOW),
                         School(urn=BROOK, name="Brook Academy", pupils=1000, updated_at=NOW),
                         School(urn=CASTLE, name="Castle Infant School", updated_at=NOW)])
        session.flush()
        for row in CONTACTS:
            _add_contact(session, *row)
        # Not MASH's: the Infoline notes advice, which is no referral and no needless MASH contact.
        _add_contact(session, ABBEY, "advice_given", TUESDAY, service=Route.DSL_INFOLINE)
        # Before the period: left out.
        _add_contact(session, ABBEY, "no_further_action", datetime(2026, 11, 8, 12, tzinfo=timezone.utc))
    return engine


def _report(engine, **kwargs) -> dict:
    with session_scope(engine) as session:
        return gather_report(session, PERIOD, NOW, **kwargs)


def test_contacts_are_counted_by_outcome_with_the_undecided_apart(contacts):
    assert _report(contacts)["outcomes"] == {"no_further_action": 4, "early_help": 1, "social_care_assessment": 2,
                                             "strategy_discussion": 2, "other": 1, "undecided": 1}


def test_contacts_per_referral_divide_decided_contacts_by_assessments_and_strategy_discussions(contacts):
    ratio = _report(contacts)["contact_to_referral_ratio"]
    # 10 decided contacts; referrals: Abbey's assessment, Brook's two discussions and the unknown school's assessment.
    assert (ratio["contacts"], ratio["referrals"], ratio["ratio"], ratio["undecided"]) == (10, 4, 2.5, 1)
    low, high = stats.binomtest(4, 10).proportion_ci(method="wilson")
    assert ratio["ci_low"] == pytest.approx(1 / high) and ratio["ci_high"] == pytest.approx(1 / low)
    by_school = {row["urn"]: (row["contacts"], row["referrals"], row["ratio"]) for row in ratio["by_school"]}
    assert by_school == {ABBEY: (4, 1, 4.0), BROOK: (4, 2, 2.0), CASTLE: (1, 0, None)}


def test_needless_contacts_are_no_further_action_or_early_help_ranked_per_100_pupils(contacts):
    needless = _report(contacts)["needless_contacts"]
    assert (needless["contacts"], needless["decided"], needless["share"]) == (5, 10, 0.5)
    assert needless["per_100_pupils"] == round(100 * (3 + 1) / (200 + 1000), 2)  # Castle's pupils are unknown
    assert [(s["rank"], s["urn"], s["needless"], s["needless_per_100_pupils"]) for s in needless["top_schools"]] == [
        (1, ABBEY, 3, 1.5), (2, BROOK, 1, 0.1)]


def test_the_estimated_cost_is_needless_contacts_times_the_unit_cost_and_says_it_is_an_estimate(contacts):
    assert _report(contacts)["estimated_cost_gbp"] == {"estimate": True, "amount": 5 * 265.5, "unit_cost_gbp": 265.5,
                                                       "needless_contacts": 5}
    assert _report(contacts, unit_cost_gbp=300.0)["estimated_cost_gbp"]["amount"] == 1500.0


def test_outcomes_are_counted_by_the_london_weekday_and_hour_the_contact_was_made(contacts):
    report = _report(contacts)
    days = {line["weekday"]: line for line in report["outcomes_by_weekday"]}
    assert [line["weekday"] for line in report["outcomes_by_weekday"]][0] == "Monday"
    assert {d: (days[d]["contacts"], days[d]["referrals"], days[d]["needless"], days[d]["undecided"])
            for d in ("Tuesday", "Friday", "Saturday")} == {"Tuesday": (4, 1, 3, 1), "Friday": (4, 2, 1, 0),
                                                          "Saturday": (2, 1, 1, 0)}
    assert days["Friday"]["referral_rate"] == 0.5 and days["Monday"]["contacts"] == 0
    hours = report["outcomes_by_hour"]
    assert len(hours) == 24 and (hours[16]["contacts"], hours[16]["referrals"]) == (4, 2)


def test_a_summer_contact_late_on_friday_utc_is_a_saturday_morning_one_in_london(engine):
    with session_scope(engine) as session:
        _add_contact(session, None, "no_further_action", datetime(2026, 7, 3, 23, 30, tzinfo=timezone.utc))
    with session_scope(engine) as session:
        report = gather_report(session, Period(date(2026, 7, 1), date(2026, 7, 8)), NOW)
    assert [line["weekday"] for line in report["outcomes_by_weekday"] if line["contacts"]] == ["Saturday"]
    assert [line["hour"] for line in report["outcomes_by_hour"] if line["contacts"]] == [0]


def test_trained_and_untrained_dsls_are_compared_with_intervals_and_flagged_when_too_few(engine):
    with session_scope(engine) as session:
        session.add(School(urn=ABBEY, name="Abbey Primary School", pupils=200, updated_at=NOW))
        session.flush()
        trained = Dsl(urn=ABBEY, name="A Trained", trained_on=date(2026, 9, 1), updated_at=NOW)
        plain = Dsl(urn=ABBEY, name="B Untrained", updated_at=NOW)
        later = Dsl(urn=ABBEY, name="C Trained after the period", trained_on=date(2026, 12, 20), updated_at=NOW)
        session.add_all([trained, plain, later])
        session.flush()
        _add_contact(session, ABBEY, "no_further_action", TUESDAY, trained.id)
        _add_contact(session, ABBEY, "social_care_assessment", TUESDAY, trained.id)
        _add_contact(session, ABBEY, "strategy_discussion", FRIDAY, plain.id)
    with session_scope(engine) as session:
        groups = gather_report(session, PERIOD, NOW)["dsl_training"]
    t, u = groups["trained"], groups["untrained"]
    assert (t["dsls"], t["contacts"], t["made_non_urgent_contact"], t["contact_to_referral_ratio"]) == (1, 2, 1, 2.0)
    assert (u["dsls"], u["contacts"], u["contacts_per_dsl"], u["made_non_urgent_contact"]) == (2, 1, 0.5, 0)
    assert u["contact_to_referral_ratio"] == 1.0
    # Contacts per untrained DSL, 1 and 0: a t interval on one degree of freedom.
    half = stats.t.isf(0.025, 1) * (0.5 ** 0.5) / (2 ** 0.5)
    assert u["contacts_per_dsl_ci"] == pytest.approx([0.0, 0.5 + half])
    assert t["too_few_to_compare"] and u["too_few_to_compare"] and groups["p_value"] is None


def test_the_report_s_own_shares_21_percent_of_984_against_5_percent_of_165_differ_clearly():
    untrained, trained = round(0.21 * 984), round(0.05 * 165)  # 207 and 8 DSLs
    low, high = wilson_interval(untrained, 984)
    p, n, z = untrained / 984, 984, 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    assert (low, high) == pytest.approx((centre - half, centre + half))
    assert (round(low, 3), round(high, 3)) == (0.186, 0.237)
    difference, p_value = two_proportion_test(trained, 165, untrained, 984)
    assert difference == pytest.approx(207 / 984 - 8 / 165) and p_value < 0.0001


def test_the_api_and_the_dashboard_show_the_measures_with_the_unit_cost_set(contacts, app):
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], unit_cost_gbp=300.0)
    token = app.test_cli_runner().invoke(tokens_group, ["create", "measures"]).stdout.split(": ", 1)[1].strip()
    query = f"from={PERIOD.start}&to={PERIOD.end}"
    stats_json = app.test_client().get(f"/api/stats?{query}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert stats_json["estimated_cost_gbp"]["amount"] == 1500.0 and stats_json["contact_to_referral_ratio"]["ratio"] == 2.5
    doc = page(signed_in_client(app, "supervisor").get(f"/dashboard?{query}"))
    assert table_rows(doc, "table-estimated_cost") == [["5", "£300.00", "£1,500.00"]]
    assert table_rows(doc, "table-needless_contacts")[0][:4] == ["1", "Abbey Primary School", "100001", "3"]
    assert table_rows(doc, "table-contact_to_referral_ratio")[0] == ["All schools", "", "10", "4", "2.50"]


def test_callback_verdicts_count_each_question_asked_in_the_period_and_its_first_answer(engine, app):
    asked = [(TUESDAY, "answered"), (TUESDAY, "answered"), (FRIDAY, "needs_more"), (SATURDAY, None),
             (datetime(2026, 11, 8, 12, tzinfo=timezone.utc), "answered")]  # before the period: left out
    with session_scope(engine) as session:
        session.add_all([Verdict(source="callback", source_id=i, asked_at=when, answer=answer)
                         for i, (when, answer) in enumerate(asked)])
    assert _report(engine)["callback_verdict"] == {"asked": 4, "answered_yes": 2, "needs_more": 1, "rate": 0.5}
    doc = page(signed_in_client(app, "supervisor").get(f"/dashboard?from={PERIOD.start}&to={PERIOD.end}"))
    assert table_rows(doc, "table-callback_verdict") == [["4", "2", "1", "1", "50.0%"]]


def test_no_verdict_asked_gives_no_rate(engine):
    assert _report(engine)["callback_verdict"] == {"asked": 0, "answered_yes": 0, "needs_more": 0, "rate": None}
