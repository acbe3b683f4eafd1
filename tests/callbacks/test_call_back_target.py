"""A callback request's target time: CALLBACK_TARGET working hours on, by the opening hours and bank holidays."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callbacks.schedule import working_time_after
from routing.hours import LONDON, OpeningHours

HOURS = OpeningHours.parse("Mon-Thu 08:30-17:30; Fri 08:30-17:00")
TWO_HOURS = timedelta(hours=2)


def london(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)


@pytest.mark.parametrize(("asked", "due"), [
    (london(2026, 11, 24, 10, 0), london(2026, 11, 24, 12, 0)),  # inside the day
    (london(2026, 11, 24, 15, 30), london(2026, 11, 24, 17, 30)),  # exactly at closing
    (london(2026, 11, 24, 16, 45), london(2026, 11, 25, 9, 45)),  # 45 minutes today, the rest tomorrow
    (london(2026, 11, 24, 7, 0), london(2026, 11, 24, 10, 30)),  # before opening: from the opening
    (london(2026, 11, 27, 16, 0), london(2026, 11, 30, 9, 30)),  # Friday closes at 17:00, then the weekend
    # Christmas Eve, then Christmas Day and the Boxing Day holiday moved to Monday: Tuesday morning.
    (london(2026, 12, 24, 17, 0), london(2026, 12, 29, 10, 0)),
], ids=["inside the day", "at closing", "across the end of the day", "before opening", "across the weekend",
        "across bank holidays"])
def test_the_target_counts_only_working_time(asked, due):
    assert working_time_after(HOURS, asked, TWO_HOURS) == due.astimezone(timezone.utc)


def test_the_target_is_in_utc_across_a_clock_change():
    # Friday 23 October 2026 16:30 BST; the clocks go back on Sunday: 30 minutes on Friday, 1 h 30 from Monday 08:30 GMT.
    due = working_time_after(HOURS, london(2026, 10, 23, 16, 30), TWO_HOURS)
    assert due == datetime(2026, 10, 26, 10, 0, tzinfo=timezone.utc) and due.tzinfo == timezone.utc
