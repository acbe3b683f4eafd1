"""The menu's decisions and wording, as pure functions."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.models import Route
from routing.menu import DEFAULT_WORDING, decide_menu, make_wording, speech_measure, urgent_speech


@pytest.mark.parametrize("attempt", [1, 2])
def test_pressing_1_always_connects_to_mash_in_hours(attempt):
    assert decide_menu("1", attempt, True).route == Route.MASH


def test_pressing_1_out_of_hours_connects_to_the_emergency_duty_team():
    assert decide_menu("1", 1, False).route == Route.EDT


@given(st.text(max_size=40), st.integers(min_value=1, max_value=2), st.booleans())
def test_any_input_leads_somewhere_and_never_strands_the_caller(digits, attempt, in_hours):
    decision = decide_menu(digits, attempt, in_hours)
    assert decision.action in {"connect", "repeat", "choose", "status_check"}
    if attempt == 2:
        assert decision.action != "repeat"


def test_the_urgent_caller_hears_at_most_two_short_sentences_before_the_transfer():
    words, seconds = speech_measure(urgent_speech())
    assert urgent_speech() == f"{DEFAULT_WORDING.danger} {DEFAULT_WORDING.option1}"
    assert words <= 30 and seconds <= 12


def test_a_variant_may_not_change_the_999_line_or_option_1():
    with pytest.raises(ValueError, match="danger"):
        make_wording({"danger": "Hello."})
    with pytest.raises(ValueError, match="option1"):
        make_wording({"option1": "Press 1."})
    assert make_wording({"closing": "Thank you."}).sentences(True)[:2] == DEFAULT_WORDING.sentences(True)[:2]
