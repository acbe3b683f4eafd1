"""Traffic: a calibrated model of who calls and why, run through the real webhooks and dated in the past."""
from __future__ import annotations

import csv
import random
from collections import Counter
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlmodel import Session, select

from db.models import Call, CallStep, Route
from routing.hours import OpeningHours
from routing.menu import DEFAULT_WORDING
from schools import DEMO_SCHOOLS_CSV
from simulator.behaviour import CallerBehaviour, default_menu_weights, is_menu
from simulator.cli import simulate_group
from simulator.model import (ADVICE, COMPARISON_DAYS, SCHOOL, URGENT, Calendar, SchoolInfo, TrafficModel,
                             build_population, plan_calls)
from simulator.server import serve
from simulator.traffic import PlannedClock, Timeline, default_calls, run_traffic
from simulator.transcript import Exchange
from tests.conftest import IN_HOURS, TickingClock
from tests.simulator_support import TOKEN

pytestmark = pytest.mark.no_public_url

HOURS = OpeningHours.parse("Mon-Thu 08:30-17:30; Fri 08:30-17:00")


def demo_register() -> list[SchoolInfo]:
    """The demo schools as traffic reads them, straight from the shipped GIAS file."""
    with open(DEMO_SCHOOLS_CSV, encoding="utf-8-sig") as f:
        return [SchoolInfo(int(r["URN"]), r["PhaseOfEducation (name)"], None,
                           (r["TelephoneE164"],) if r["TelephoneE164"] else ()) for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def term_plan():
    """A term of calls at the report's volume (29,000 a year), with the default behaviour's menu choices."""
    rng = random.Random(7)
    model = TrafficModel()
    pop = build_population(demo_register(), model, rng)
    plan = plan_calls(model, pop, default_calls(COMPARISON_DAYS), Calendar(IN_HOURS, COMPARISON_DAYS, HOURS), rng)
    behaviour, menu = CallerBehaviour(), "If a child is in immediate danger, hang up and call 999."
    keys = [behaviour(p.profile, menu, rng) for p in plan]
    return model, pop, plan, keys


def test_schools_make_48_percent_of_calls_shared_among_1149_dsls(term_plan):
    _, pop, plan, _ = term_plan
    assert len(plan) == 7230
    assert sum(p.profile.kind == SCHOOL for p in plan) / len(plan) == pytest.approx(0.48, abs=0.02)
    assert sum(pop.dsls.values()) == 1149


def test_about_21_percent_of_dsls_make_a_non_urgent_mash_call_in_a_term(term_plan):
    _, pop, plan, keys = term_plan
    dsls = {p.profile.dsl for p, key in zip(plan, keys)
            if p.profile.kind == SCHOOL and p.profile.intent != URGENT and key == "1" and HOURS.is_open(p.at)}
    assert len(dsls) / sum(pop.dsls.values()) == pytest.approx(0.21, abs=0.03)


def test_a_few_schools_make_several_times_the_average_mash_calls_per_pupil(term_plan):
    _, pop, plan, keys = term_plan
    mash = Counter(p.profile.school_urn for p, key in zip(plan, keys) if p.profile.kind == SCHOOL and key == "1")
    size = {s.urn: s.size for s in pop.schools}
    average = sum(mash.values()) / sum(size.values())
    heavy_rates = [mash[urn] / size[urn] / average for urn in pop.heavy]
    assert 0 < len(pop.heavy) <= 0.06 * len(pop.schools)
    assert sorted(heavy_rates)[len(heavy_rates) // 2] >= 2.5


def test_calls_follow_the_week_most_in_opening_hours_and_some_at_night_and_weekends(term_plan):
    _, _, plan, _ = term_plan
    out_of_hours = sum(not HOURS.is_open(p.at) for p in plan) / len(plan)
    assert 0.08 < out_of_hours < 0.25
    assert all(IN_HOURS - timedelta(days=COMPARISON_DAYS) <= p.at < IN_HOURS for p in plan)


def test_follow_ups_come_later_from_the_same_dsl_and_number(term_plan):
    _, _, plan, _ = term_plan
    follow_ups = [p for p in plan if p.parent is not None]
    assert len(follow_ups) > 100
    for p in follow_ups:
        first = plan[p.parent]
        assert first.profile.intent == URGENT and p.at > first.at
        assert (p.profile.dsl, p.profile.caller_id) == (first.profile.dsl, first.profile.caller_id)


def test_traffic_numbers_are_made_up_or_registered_never_invented_real_ones(term_plan):
    _, _, plan, _ = term_plan
    registered = {n for s in demo_register() for n in s.numbers}
    for p in plan:
        number = p.profile.caller_id
        assert number == "withheld" or number in registered or number.startswith(("+441214960", "+442079460"))


def test_the_timeline_maps_the_apps_stamps_onto_the_planned_time():
    wall = IN_HOURS + timedelta(days=3)
    planned = IN_HOURS - timedelta(days=2)
    exchanges = tuple(Exchange("POST", "/x", 200, 1.0, wall + timedelta(milliseconds=10 * i), sim)
                      for i, sim in enumerate([0.0, 30.0, 95.0]))
    timeline = Timeline(planned, exchanges)
    assert timeline(wall + timedelta(milliseconds=12)) == planned + timedelta(seconds=30, milliseconds=2)
    assert timeline(wall + timedelta(milliseconds=25)) == planned + timedelta(seconds=95, milliseconds=5)
    # A promised time the remote app computed from its own clock moves by the same shift.
    assert timeline(wall + timedelta(days=1)) == planned + timedelta(days=1)


def _calls(engine) -> list[Call]:
    with Session(engine) as session:
        return list(session.exec(select(Call)))


def test_traffic_through_the_served_app_is_answered_and_dated_at_each_calls_planned_time(app, engine, demo_schools):
    clock = PlannedClock(app.config["CLOCK"])
    app.config["CLOCK"] = clock
    with serve(app) as url:
        summary = run_traffic(url, TOKEN, 60, 4, 14, engine=engine, seed=11, settings=app.config["SETTINGS"],
                              clock=clock, now=IN_HOURS)
    # The app stamped every row from its planned clock: nothing needed moving afterwards.
    assert (summary.calls, summary.errors, summary.backdated) == (60, 0, 0)
    calls = _calls(engine)
    assert len(calls) == 60 and sum(summary.routes.values()) == 60
    assert all(IN_HOURS - timedelta(days=14) <= c.started_at < IN_HOURS for c in calls)
    # The app answered each call as at its planned time: its hours match the recorded start.
    assert all(c.in_hours == HOURS.is_open(c.started_at) for c in calls)
    assert {True, False} <= {c.in_hours for c in calls}
    # Each call lasts its simulated length (to the second it was rounded to), not the milliseconds it took.
    assert all(abs((c.ended_at - c.started_at).total_seconds() - c.duration_s) < 1.5 for c in calls)
    with Session(engine) as session:
        for call in calls:
            steps = session.exec(select(CallStep).where(CallStep.call_id == call.id)).all()
            assert all(call.started_at <= s.at <= call.ended_at + timedelta(seconds=1) for s in steps)
    assert summary.school_calls > 0 and summary.latency_p99_ms >= summary.latency_p50_ms > 0


def test_traffic_to_an_app_on_its_own_clock_is_dated_only_in_its_current_hours(app, engine, live_url):
    app_clock = TickingClock(IN_HOURS)  # the app's own clock runs on, as a real one does
    app.config["CLOCK"] = app_clock
    summary = run_traffic(live_url, TOKEN, 20, 4, 7, engine=engine, seed=5, settings=app.config["SETTINGS"],
                          now=IN_HOURS, app_clock=app_clock)
    assert summary.errors == 0
    assert any("dated in opening hours" in note for note in summary.notes)
    assert all(c.in_hours and HOURS.is_open(c.started_at) for c in _calls(engine))


def test_a_behaviour_hears_the_spoken_menu_and_its_choice_decides_the_route(app, engine, live_url):
    heard = []

    def always_early_help(profile, prompt, rng):
        heard.append(prompt)
        return "3" if is_menu(prompt) else "*"

    model = TrafficModel(abandon_in_greeting=0.0, transfers={r: (1.0, 0.0, 0.0) for r in
                                                             ("MASH", "EDT", "DSL_INFOLINE", "EARLY_HELP")})
    summary = run_traffic(live_url, TOKEN, 12, 3, 7, engine=engine, seed=2, settings=app.config["SETTINGS"],
                          now=IN_HOURS, behaviour=always_early_help, model=model)
    assert summary.routes == Counter({Route.EARLY_HELP: 12})
    assert any(DEFAULT_WORDING.option3 in text for text in heard)


def test_a_wording_effect_can_be_built_into_the_behaviour():
    nudged = {ADVICE: {"2": 1.0}}
    behaviour = CallerBehaviour(menu_weights=lambda p, text: nudged.get(p.intent) if "like most schools" in text
                                else default_menu_weights(p, text))
    rng = random.Random(1)
    pop = build_population(demo_register(), TrafficModel(), rng)
    advice = [p.profile for p in plan_calls(TrafficModel(), pop, 400, Calendar(IN_HOURS, 30, HOURS), rng)
              if p.profile.intent == ADVICE]
    plain = "If a child is in immediate danger, hang up and call 999. Press 2 for the DSL Infoline."
    variant = plain + " Press 2, like most schools do."
    plain_mash = sum(behaviour(p, plain, rng) == "1" for p in advice)
    variant_mash = sum(behaviour(p, variant, rng) == "1" for p in advice)
    assert variant_mash == 0 < plain_mash


def test_a_refused_signature_counts_every_call_as_an_error(app, engine, live_url):
    summary = run_traffic(live_url, "wrong-token", 5, 2, 3, engine=engine, seed=1, settings=app.config["SETTINGS"],
                          now=IN_HOURS)
    assert summary.errors == 5 and "HTTP 403" in summary.error_samples[0]


def test_the_traffic_command_serves_the_app_itself_and_prints_progress_and_a_summary(app, engine, demo_schools):
    result = CliRunner().invoke(simulate_group, ["traffic", "--calls", "20", "--days", "7", "--seed", "3",
                                                 "--concurrency", "4"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert "20/20 calls, 0 errors" in result.output
    assert "Calls: 20 in" in result.output and "latency p50" in result.output
    assert "Routes (recorded in the database)" in result.output
    assert len(_calls(engine)) == 20
