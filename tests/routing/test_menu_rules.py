"""The rules every saved wording must keep: each is refused by name."""
from __future__ import annotations

from dataclasses import replace

import pytest

from routing.menu import DEFAULT_WORDING
from routing.menu_rules import (RULE_999_FIRST, RULE_KEYS, RULE_MENU_LENGTH, RULE_OPTION1, RULE_PLAIN_WORDS,
                                RULE_SILENT_CALLER, RULE_TO_OPTION1, check_lengths, check_notice, check_wording,
                                seconds_to_option1)

LONG = "Our colleagues are working hard to answer every single call as quickly as they possibly can today"


RULES = (RULE_999_FIRST, RULE_KEYS, RULE_MENU_LENGTH, RULE_OPTION1, RULE_PLAIN_WORDS, RULE_SILENT_CALLER,
         RULE_TO_OPTION1)


def refused_rules(wording, notices=()) -> list[str]:
    """The rules a wording breaks, in the order they are named."""
    problems = check_wording(wording, notices)
    return sorted({rule for rule in RULES for p in problems if p.startswith(f"rule '{rule}'")}, key=RULES.index)


def test_the_poster_wording_keeps_every_rule_with_room_for_a_short_announcement():
    assert check_wording(DEFAULT_WORDING) == []
    assert check_lengths(DEFAULT_WORDING, ("We are receiving a high number of calls today.",)) == []


def test_the_poster_wording_names_each_service_as_the_poster_does():
    assert "urgent or ongoing" in DEFAULT_WORDING.option1
    assert "disabled children" in DEFAULT_WORDING.closing
    assert "Uncertain" in DEFAULT_WORDING.option2 and "advice" in DEFAULT_WORDING.option2
    assert "First think" in DEFAULT_WORDING.option3 and "struggling" in DEFAULT_WORDING.option3


def test_a_first_sentence_without_999_is_refused_naming_the_rule():
    assert refused_rules(replace(DEFAULT_WORDING, danger="Welcome to Warwickshire's MASH front door.")) \
        == [RULE_999_FIRST]


@pytest.mark.parametrize("option1", [
    "For urgent or ongoing concerns, press 1.",  # no "stay on the line"
    "For urgent or ongoing concerns, stay on the line.",  # no "press 1"
    "For urgent or ongoing concerns press 1 or stay on the line, which is what most of our callers who are "
    "worried about a child do first.",  # over 25 words
])
def test_an_option1_that_drops_its_words_or_runs_over_25_words_is_refused(option1):
    assert RULE_OPTION1 in refused_rules(replace(DEFAULT_WORDING, option1=option1))


def test_an_option_offering_another_key_is_refused_because_keys_never_change():
    assert refused_rules(replace(DEFAULT_WORDING, option2="For the DSL Infoline, press 5.")) == [RULE_KEYS]
    assert refused_rules(replace(DEFAULT_WORDING, option3="For Early Help, press three.")) == [RULE_KEYS]


def test_the_999_line_and_closing_line_may_not_offer_a_key():
    assert refused_rules(replace(DEFAULT_WORDING, closing="Press 9 to hear this again.")) == [RULE_KEYS]
    assert RULE_KEYS in refused_rules(replace(DEFAULT_WORDING, danger="Press 0 or call 999 in an emergency."))


def test_speech_over_8_seconds_before_option_1s_key_is_refused():
    slow = replace(DEFAULT_WORDING, option1="If you have an urgent concern about a child today, press 1, or stay on "
                                            "the line.")
    assert seconds_to_option1(slow, True) > 8
    assert refused_rules(slow) == [RULE_TO_OPTION1]


def test_a_menu_over_40_seconds_is_refused_and_a_silent_callers_wait_too():
    long_options = replace(DEFAULT_WORDING, option2=f"{LONG}. Press 2 for the DSL Infoline.",
                           option3=f"{LONG}. Press 3 for Early Help.", option4=f"{LONG}. Press 4.", closing=LONG)
    assert set(refused_rules(long_options)) == {RULE_MENU_LENGTH, RULE_SILENT_CALLER}


def test_an_announcement_that_makes_the_menu_too_long_is_refused_naming_the_rule():
    problems = check_lengths(DEFAULT_WORDING, (LONG + ".",), "the announcement")
    assert problems and all(RULE_SILENT_CALLER in p and "with the announcement" in p and "cut at least" in p
                            for p in problems)


@pytest.mark.parametrize("text, rule", [("", RULE_PLAIN_WORDS), ("<b>Closed</b>", RULE_PLAIN_WORDS),
                                        ("Press 2 to leave a message.", RULE_KEYS), ("Ring 01926 414144.", RULE_KEYS)])
def test_a_notice_must_be_plain_words_offering_no_key(text, rule):
    [problem] = check_notice(text, "announcement")
    assert rule in problem


def test_a_plain_notice_is_allowed():
    assert check_notice("The Infoline is closed this afternoon for training.", "closure sentence") == []
