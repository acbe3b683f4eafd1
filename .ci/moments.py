"""Print the four moments CI runs the suite at, each as 'label<TAB>seconds from now' for faketime's relative offset.

Every moment lies ahead of now, in London time: the tests' own fixed dates are all in the past of any of them.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def next_at(now: datetime, day: date, hour: int) -> datetime:
    """`day` at `hour`:00 London time, moved on by weeks until it is after now."""
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)
    while moment <= now:
        moment += timedelta(weeks=1)
    return moment


def moments(now: datetime) -> list[tuple[str, datetime]]:
    today = now.astimezone(LONDON).date()
    saturday = next_at(now, today + timedelta(days=(5 - today.weekday()) % 7), 21)
    wednesday = next_at(now, today + timedelta(days=(2 - today.weekday()) % 7), 3)
    christmas = datetime(today.year, 12, 25, 12, tzinfo=LONDON)
    if christmas <= now:
        christmas = christmas.replace(year=today.year + 1)
    june = date(today.year + (today >= date(today.year, 6, 1)), 6, 1)
    monday_bst = datetime.combine(june + timedelta(days=(0 - june.weekday()) % 7), datetime.min.time(),
                                  LONDON).replace(hour=10)
    return [("a Saturday at 21:00", saturday), ("a weekday at 03:00", wednesday),
            ("Christmas Day at 12:00", christmas), ("a Monday at 10:00 in British Summer Time", monday_bst)]


if __name__ == "__main__":
    now = datetime.now(timezone.utc)
    for label, moment in moments(now):
        print(f"{label} ({moment:%a %Y-%m-%d %H:%M %Z})\t{int((moment - now).total_seconds())}")
