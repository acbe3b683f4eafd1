"""The four moments CI fakes the clock to: always ahead, and always the kinds of time the issue names."""
from __future__ import annotations

import importlib.util
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

SPEC = importlib.util.spec_from_file_location("ci_moments", Path(__file__).resolve().parents[1] / ".ci" / "moments.py")
moments = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(moments)
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize("now", [datetime(2026, 12, 1, 18, 5, tzinfo=timezone.utc),  # a Tuesday evening
                                 datetime(2026, 12, 26, 9, tzinfo=timezone.utc),  # just after Christmas
                                 datetime(2027, 6, 7, 9, 30, tzinfo=timezone.utc),  # the BST Monday itself
                                 datetime(2028, 12, 2, 21, 30, tzinfo=timezone.utc)])  # a Saturday night
def test_each_moment_is_ahead_and_of_its_kind(now):
    (_, saturday), (_, night), (_, christmas), (_, summer) = moments.moments(now)
    assert all(m > now for m in (saturday, night, christmas, summer))
    saturday, night, christmas, summer = (m.astimezone(LONDON) for m in (saturday, night, christmas, summer))
    assert (saturday.weekday(), saturday.hour) == (5, 21)
    assert night.weekday() < 5 and night.hour == 3
    assert (christmas.month, christmas.day) == (12, 25)
    assert (summer.weekday(), summer.hour) == (0, 10) and summer.dst()
