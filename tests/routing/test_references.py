"""How a caller hears a time and a typed mobile is checked: pure decisions, no app."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from routing.references import typed_mobile, when_spoken

TUESDAY_10AM = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("when, words", [
    (datetime(2026, 11, 24, 17, 30, tzinfo=timezone.utc), "5:30 pm today"),
    (datetime(2026, 11, 25, 17, 30, tzinfo=timezone.utc), "5:30 pm tomorrow, Wednesday"),
    (datetime(2026, 11, 27, 17, 30, tzinfo=timezone.utc), "5:30 pm on Friday 27 November"),
    # A line open round the clock ends its working day at midnight: the end of the day before.
    (datetime(2026, 11, 26, 0, 0, tzinfo=timezone.utc), "the end of tomorrow, Wednesday"),
    (datetime(2026, 11, 28, 0, 0, tzinfo=timezone.utc), "the end of Friday 27 November"),
])
def test_a_promised_time_is_said_the_way_people_say_it(when, words):
    assert when_spoken(when, TUESDAY_10AM) == words


def test_a_promised_time_is_said_in_london_time_in_summer():
    assert when_spoken(datetime(2026, 6, 3, 16, 30, tzinfo=timezone.utc),
                       datetime(2026, 6, 2, 9, tzinfo=timezone.utc)) == "5:30 pm tomorrow, Wednesday"


@pytest.mark.parametrize("typed, mobile", [
    ("07400123456", "+447400123456"), ("07400123456#", "+447400123456"), ("447400123456", "+447400123456"),
    ("01926414144", None), ("0740012", None), ("", None), (None, None), ("07700900123", None),
])
def test_only_a_uk_mobile_typed_on_the_keypad_is_accepted(typed, mobile):
    assert typed_mobile(typed) == mobile
