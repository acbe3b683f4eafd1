"""A caller who presses nothing reaches MASH (EDT out of hours) within 45 s, timed by the simulator from the TwiML."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from db.models import Call, Route
from routing.menu import SILENT_CALLER_LIMIT_S, silent_caller_seconds, urgent_caller_seconds
from simulator.scenario_file import parse_scenarios
from simulator.scenarios import PASSED, format_result, run_scenario
from tests.conftest import IN_HOURS, OUT_OF_HOURS
from tests.trial_support import make_trial

pytestmark = pytest.mark.no_public_url

CALL = """\
calls:
  - name: A caller who {does}
    from: "{caller}"
    press: {press}
    expect:
      connected_to: {service}
"""


def connected_after(target, service: str, press: str = "[silence, silence]", caller: str = "+441214960100") -> tuple[float, str]:
    """Simulated seconds from answer to the first transfer, speech at 150 words a minute plus each Gather's wait."""
    [scenario] = parse_scenarios(CALL.format(does="calls", caller=caller, press=press, service=service), "t.yaml")
    result = run_scenario(scenario, target)
    assert result.status == PASSED, format_result(result)
    return result.transcript.dials()[0].at_s, result.transcript.call_sid


@pytest.mark.parametrize(("now", "service"), [(IN_HOURS, "MASH"), (OUT_OF_HOURS, "EDT")], ids=["in_hours", "out_of_hours"])
def test_a_silent_caller_is_put_through_within_45_seconds_of_speech_and_waiting(target, clock, now, service):
    clock.now = now
    seconds, _ = connected_after(target, service)
    assert seconds <= SILENT_CALLER_LIMIT_S == 45
    # The estimate the trial rules use is the time the simulator measures from the served TwiML.
    assert seconds == pytest.approx(silent_caller_seconds(in_hours=now == IN_HOURS), abs=0.1)


def test_a_caller_who_presses_1_when_it_is_offered_is_put_through_after_the_first_two_sentences(target, clock):
    clock.now = IN_HOURS
    # The simulator presses after the whole prompt, so this is the upper bound; the estimate is the first two sentences.
    seconds, _ = connected_after(target, "MASH", press="[1]")
    assert urgent_caller_seconds() < seconds < silent_caller_seconds()


def test_a_silent_caller_in_a_trial_variant_is_put_through_within_45_seconds(target, clock, engine):
    clock.now = IN_HOURS
    make_trial(engine, clock.now)
    variants = {}
    for n in range(8):
        seconds, sid = connected_after(target, "MASH", caller=f"+441214960{n:03d}")
        with Session(engine) as session:
            call = session.exec(select(Call).where(Call.call_sid == sid)).one()
        assert call.route == Route.MASH
        variants[call.variant] = seconds
    assert set(variants) == {"control", "norms"}, variants
    assert all(seconds <= SILENT_CALLER_LIMIT_S for seconds in variants.values()), variants
    assert variants["norms"] > variants["control"]  # the variant's longer wording is really what was timed
