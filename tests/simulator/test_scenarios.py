"""The repository's scenario files, run against the app over real HTTP; and the scenario format's errors."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from db.models import Route
from simulator.cli import simulate_group
from simulator.scenario_file import ScenarioFileError, load_scenarios, parse_scenarios
from simulator.scenarios import ERROR, FAILED, PASSED, SKIPPED, Target, format_result, run_scenario
from tests.conftest import IN_HOURS, OUT_OF_HOURS
from tests.simulator_support import TOKEN

pytestmark = pytest.mark.no_public_url

SCENARIO_FILES = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
SHIPPED = [s for path in SCENARIO_FILES for s in load_scenarios(path)]


@pytest.mark.parametrize("scenario", SHIPPED, ids=[f"{Path(s.path).stem}:{s.line}" for s in SHIPPED])
def test_each_shipped_scenario_passes_against_the_served_app(scenario, target, clock):
    clock.now = OUT_OF_HOURS if scenario.requires == "out_of_hours" else IN_HOURS
    result = run_scenario(scenario, target)
    assert result.status == PASSED, format_result(result)


def test_the_shipped_scenarios_cover_every_route_and_both_hours():
    routes = {s.expect.route for s in SHIPPED}
    assert routes >= set(Route.ALL), f"no scenario ends in {sorted(set(Route.ALL) - routes)}"
    assert {s.requires for s in SHIPPED} >= {"in_hours", "out_of_hours"}
    assert any(s.caller == "withheld" for s in SHIPPED)
    assert any(s.hangup_at for s in SHIPPED)


def test_an_out_of_hours_scenario_is_skipped_with_a_note_while_the_app_is_open(target, clock):
    clock.now = IN_HOURS
    scenario = next(s for s in SHIPPED if s.requires == "out_of_hours")
    result = run_scenario(scenario, target)
    assert result.status == SKIPPED
    assert "needs out_of_hours" in result.note and "open now" in result.note


def _write(tmp_path, text: str, name: str = "check.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _invoke(app, *args):
    return CliRunner().invoke(simulate_group, list(args), obj=ScriptInfo(create_app=lambda: app))


WRONG_ROUTE = """\
calls:
  - name: Pressing 1 is expected (wrongly) to reach Early Help
    requires: in_hours
    press: [1]
    expect:
      connected_to: EARLY_HELP
      route: EARLY_HELP
"""


def test_run_exits_non_zero_and_prints_a_diff_when_an_expectation_fails(app, live_url, tmp_path):
    path = _write(tmp_path, WRONG_ROUTE)
    result = _invoke(app, "run", "--base-url", live_url, str(path))
    assert result.exit_code == 1, result.output
    assert f"FAILED  {path}:2  Pressing 1 is expected (wrongly) to reach Early Help" in result.output
    assert "route:\n          - expected: EARLY_HELP\n          + actual:   MASH (recorded in the database)" in result.output
    assert "connected_to:\n          - expected: EARLY_HELP\n          + actual:   MASH" in result.output
    assert "Transfer to MASH (+442079460100): answered" in result.output  # the transcript follows the diff
    assert "0 passed, 1 failed" in result.output


def test_run_exits_zero_when_every_scenario_passes(app, live_url, tmp_path):
    path = _write(tmp_path, WRONG_ROUTE.replace("EARLY_HELP", "MASH"))
    result = _invoke(app, "run", "--base-url", live_url, str(path))
    assert result.exit_code == 0, result.output
    assert "1 passed" in result.output


def test_without_database_access_the_route_is_inferred_and_says_so(app, live_url, tmp_path):
    path = _write(tmp_path, WRONG_ROUTE)
    result = _invoke(app, "run", "--base-url", live_url, "--database-url", "none", str(path))
    assert result.exit_code == 1
    assert "no database access: routes are inferred" in result.output
    assert "+ actual:   MASH (inferred from the transcript)" in result.output


def test_keys_the_call_never_used_fail_the_scenario(target, clock):
    clock.now = IN_HOURS
    [scenario] = parse_scenarios(WRONG_ROUTE.replace("[1]", "[1, 9, 2, 3]").replace("EARLY_HELP", "MASH"), "x.yaml")
    result = run_scenario(scenario, target)
    assert result.status == FAILED
    assert any(m.what == "script" and "press 2, press 3" in m.actual for m in result.mismatches)


def test_an_app_that_refuses_the_signature_fails_the_run_loudly(app, live_url, tmp_path):
    path = _write(tmp_path, WRONG_ROUTE.replace("EARLY_HELP", "MASH"))
    result = _invoke(app, "run", "--base-url", live_url, "--auth-token", "not-the-apps-token", str(path))
    assert result.exit_code == 1
    # Whether the app's Fallback URL answers an unsigned request or refuses it too, the run fails.
    assert "answered HTTP 403 (the app refused the signature" in result.output
    assert "0 passed, 1 " in result.output


def test_an_app_that_is_not_running_stops_the_run_after_one_error(app, tmp_path):
    path = _write(tmp_path, WRONG_ROUTE + WRONG_ROUTE.split("calls:\n", 1)[1])
    result = _invoke(app, "run", "--base-url", "http://127.0.0.1:9", str(path))
    assert result.exit_code == 1
    assert "cannot reach the app" in result.output
    assert "1 scenario(s) not run" in result.output


MALFORMED = [
    ("calls:\n  - name: x\n    expect:\n      route: MASHH\n",
     4, "calls[0].expect.route", "'MASHH' is not one of"),
    ("calls:\n  - name: x\n    pres: [1]\n    expect: {route: MASH}\n",
     3, "calls[0].pres", "unknown field"),
    ("calls:\n  - name: x\n    press: [1, 2x]\n    expect: {route: MASH}\n",
     3, "calls[0].press[1]", "'2x' is not keypad keys"),
    ("calls:\n  - name: x\n    from: 12345\n    expect: {route: MASH}\n",
     3, "calls[0].from", "not a phone number"),
    ("calls:\n  - name: x\n    transfer: [answered, engaged]\n    expect: {route: MASH}\n",
     3, "calls[0].transfer", "'engaged' is not one of"),
    ("calls:\n  - name: x\n    press: [1]\n", 2, "calls[0].expect", "missing (required)"),
    ("calls:\n  - name: x\n    expect: {route: MASH\n", 4, "(YAML syntax)", "expected ',' or '}'"),
    ("defaults:\n  hangup_at: soon\ncalls: []\n", 2, "defaults.hangup_at", "not a whole number"),
    ("calls:\n  - name: x\n    hang_up_during_transfer: yes\n    expect: {route: MASH}\n",
     3, "calls[0].hang_up_during_transfer", "'yes' is not true or false"),
    ("calls:\n  - name: x\n    expect: {fallback: maybe}\n", 3, "calls[0].expect.fallback", "not true or false"),
]


@pytest.mark.parametrize("text, line, field, problem", MALFORMED, ids=[m[2] for m in MALFORMED])
def test_a_malformed_scenario_file_is_reported_with_file_line_and_field(text, line, field, problem):
    with pytest.raises(ScenarioFileError) as error:
        parse_scenarios(text, "scenarios/broken.yaml")
    message = str(error.value)
    assert message.startswith(f"scenarios/broken.yaml:{line}: {field}: "), message
    assert problem in message


def test_a_malformed_file_stops_the_run_before_any_call_with_exit_status_2(app, live_url, tmp_path, engine):
    good = _write(tmp_path, WRONG_ROUTE, "good.yaml")
    bad = _write(tmp_path, MALFORMED[0][0], "bad.yaml")
    result = _invoke(app, "run", "--base-url", live_url, str(good), str(bad))
    assert result.exit_code == 2
    assert f"ERROR   {bad}:4: calls[0].expect.route: 'MASHH' is not one of" in result.output
    assert "no calls were made" in result.output
    from sqlmodel import Session, func, select

    from db.models import Call

    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Call)).one() == 0


STUB_CALL = """\
calls:
  - name: A transfer to MASH
    expect:
      connected_to: MASH
"""


def _stub_target(app, stub, clock) -> Target:
    return Target(stub.url, TOKEN, app.config["SETTINGS"], None, clock)


def test_a_scenario_whose_call_needed_the_fallback_url_fails_unless_it_expects_the_fallback(app, stub, clock):
    stub.docs["/voice/incoming"] = (500, "Internal Server Error")
    stub.docs["/voice/fallback"] = "<Response><Dial>+442079460100</Dial></Response>"
    [plain] = parse_scenarios(STUB_CALL, "x.yaml")
    result = run_scenario(plain, _stub_target(app, stub, clock))
    assert result.status == FAILED, format_result(result)
    [mismatch] = result.mismatches
    assert mismatch.what == "fallback" and "answered HTTP 500" in mismatch.actual
    [expecting] = parse_scenarios(STUB_CALL + "      fallback: true\n", "x.yaml")
    assert run_scenario(expecting, _stub_target(app, stub, clock)).status == PASSED


def test_a_scenario_expecting_the_fallback_fails_when_every_webhook_answered(app, stub, clock):
    stub.docs["/voice/incoming"] = "<Response><Dial>+442079460100</Dial></Response>"
    [scenario] = parse_scenarios(STUB_CALL + "      fallback: true\n", "x.yaml")
    result = run_scenario(scenario, _stub_target(app, stub, clock))
    assert result.status == FAILED
    assert [m.what for m in result.mismatches] == ["fallback"]


def test_a_broken_fallback_fails_the_scenario_even_when_it_expects_the_fallback(app, stub, clock):
    stub.docs["/voice/incoming"] = (500, "Internal Server Error")
    stub.docs["/voice/fallback"] = (503, "Service Unavailable")
    [scenario] = parse_scenarios(STUB_CALL + "      fallback: true\n", "x.yaml")
    result = run_scenario(scenario, _stub_target(app, stub, clock))
    assert result.status == ERROR
    assert "then the Fallback URL failed too" in result.note and "answered HTTP 503" in result.note
    assert "application error has occurred" in format_result(result)


def test_a_scenario_can_hang_up_during_the_transfer(app, stub, clock):
    stub.docs["/voice/incoming"] = '<Response><Dial action="/dialled">+442079460100</Dial></Response>'
    [scenario] = parse_scenarios(STUB_CALL.replace("    expect:", "    hang_up_during_transfer: true\n    expect:"),
                                 "x.yaml")
    assert run_scenario(scenario, _stub_target(app, stub, clock)).status == PASSED
    assert stub.form("/dialled")["CallStatus"] == "completed"
