"""Opening hours for call routing: parse a spec and answer questions in London wall-clock time."""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import holidays

LONDON = zoneinfo.ZoneInfo("Europe/London")

DEFAULT_SPEC = "Mon-Thu 08:30-17:30; Fri 08:30-17:00"

_FULL_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Three-letter and full names, plus the Tues/Thur/Thurs spellings people actually type.
_DAY_NAMES = {name: i for i, full in enumerate(_FULL_NAMES) for name in (full.lower(), full[:3].lower())}
_DAY_NAMES.update(tues=1, thur=3, thurs=3)

# Days are letters, commas, hyphens and spaces; the time range starts at the first digit.
_CLAUSE = re.compile(r"(?P<days>[a-z][a-z,\-\s]*?)\s*(?P<times>[0-9].*)", re.IGNORECASE)
_RANGE = re.compile(r"(?P<start>[^\s-]+)\s*-\s*(?P<end>[^\s-]+)")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")

# Any spec with an open weekday opens again within a few weeks even around Christmas,
# so a year is a generous bound that still stops a runaway search.
_SEARCH_DAYS = 366

_Hours = tuple[time, time]


class OpeningHoursError(ValueError):
    """Raised when an opening-hours spec is malformed or cannot answer the question asked."""


@functools.lru_cache(maxsize=None)
def london_date(when: datetime) -> date:
    """The Europe/London date of an instant."""
    return when.astimezone(LONDON).date()


def london_day_span(when: datetime) -> tuple[datetime, datetime]:
    """The start and end of the London calendar day holding `when` (23 or 25 hours when the clocks change)."""
    day = london_date(when)
    return (datetime.combine(day, time(), tzinfo=LONDON),
            datetime.combine(day + timedelta(days=1), time(), tzinfo=LONDON))


def _bank_holidays(year: int) -> frozenset[date]:
    """Return the England & Wales bank holidays for one year."""
    # Building the holiday table is slow relative to a routing decision, and every call asks.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def london_moment(value, is_end: bool = False) -> datetime:
    """A date (a whole London day; an end date is inclusive) or a date and time (London unless it says), as UTC.

    Raises ValueError for anything else."""
    if isinstance(value, str):
        text = value.strip()
        value = datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=LONDON)
        return local.astimezone(timezone.utc)
    if isinstance(value, date):
        day = value + timedelta(days=1) if is_end else value
        return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(timezone.utc)
    raise ValueError(f"{value!r} is not a date or a date and time")


def is_bank_holiday(day: date) -> bool:
    """Return True if the day is an England & Wales bank holiday."""
    # A datetime never equals a date, so it would silently look like a normal day.
    if isinstance(day, datetime):
        day = day.date()
    return day in _bank_holidays(day.year)


def working_days_after(day: date, n: int) -> date:
    """Return the nth working day (Mon-Fri, not a bank holiday) after day."""
    if n < 0:
        raise ValueError(f"n must be zero or more, not {n}")
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and not is_bank_holiday(day):
            n -= 1
    return day


def _to_london(when: datetime) -> datetime:
    """Return when as an aware London datetime, reading naive values as UTC."""
    if when.tzinfo is None or when.utcoffset() is None:
        when = when.replace(tzinfo=timezone.utc)
    # Going via UTC normalises London times that the clocks skipped; astimezone to the
    # same zone would return them unchanged and read the wrong wall-clock time.
    return when.astimezone(timezone.utc).astimezone(LONDON)


def _instants_at(day: date, wall: time) -> list[datetime]:
    """Return the UTC instants at which London clocks read wall on day (none, one or two)."""
    found = set()
    for fold in (0, 1):
        local = datetime.combine(day, wall, LONDON).replace(fold=fold)
        utc = local.astimezone(timezone.utc)
        # A wall time skipped by the spring-forward jump does not survive the round trip.
        if utc.astimezone(LONDON).replace(tzinfo=None) == local.replace(tzinfo=None):
            found.add(utc)
    return sorted(found)


def _clock_changes(day: date) -> list[datetime]:
    """Return the UTC instants during London date day at which the clocks change."""
    probe = datetime.combine(day, time(), LONDON).astimezone(timezone.utc)
    stop = datetime.combine(day + timedelta(days=1), time(), LONDON).astimezone(timezone.utc)
    if probe.astimezone(LONDON).utcoffset() == stop.astimezone(LONDON).utcoffset():
        return []
    # UK clocks only ever change on the hour, so comparing each hour with the next finds the instant.
    hours = [probe + timedelta(hours=h) for h in range((stop - probe) // timedelta(hours=1) + 1)]
    offsets = [hour.astimezone(LONDON).utcoffset() for hour in hours]
    return [hours[i] for i in range(1, len(hours)) if offsets[i] != offsets[i - 1]]


def _parse_day(token: str) -> int:
    """Return the weekday number (Monday is 0) for a day name."""
    try:
        return _DAY_NAMES[token.lower()]
    except KeyError:
        raise OpeningHoursError(f"unknown day {token!r}; use Mon..Sun or full day names") from None


def _parse_days(text: str) -> list[int]:
    """Return the weekdays named by a day, a range like Mon-Thu, or a comma list."""
    days = []
    for token in re.sub(r"\s+", "", text).split(","):
        if not token:
            raise OpeningHoursError(f"empty day in {text!r}")
        first, dash, last = token.partition("-")
        if not dash:
            days.append(_parse_day(token))
            continue
        start, stop = _parse_day(first), _parse_day(last)
        # Ranges may wrap past Sunday (Fri-Mon) because that is how weekend cover is written.
        days.extend((start + i) % 7 for i in range((stop - start) % 7 + 1))
    return days


def _parse_time(token: str, clause: str) -> time:
    """Return the time for a 24-hour HH:MM token."""
    match = _TIME.fullmatch(token)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise OpeningHoursError(f"bad time {token!r} in {clause!r}; use 24-hour HH:MM from 00:00 to 23:59")
    return time(int(match[1]), int(match[2]))


def _parse_clause(clause: str) -> tuple[list[int], _Hours]:
    """Return the weekdays and (open, close) times of one 'DAYS HH:MM-HH:MM' clause."""
    match = _CLAUSE.fullmatch(clause)
    if not match:
        raise OpeningHoursError(f"cannot read {clause!r}; expected days then times, e.g. 'Mon-Fri 09:00-17:00'")
    times = _RANGE.fullmatch(match["times"].strip())
    if not times:
        raise OpeningHoursError(f"times {match['times']!r} in {clause!r} must look like HH:MM-HH:MM")
    start, end = _parse_time(times["start"], clause), _parse_time(times["end"], clause)
    if end <= start:
        why = f"closing time {end:%H:%M} is not after opening time {start:%H:%M} in {clause!r}"
        raise OpeningHoursError(f"{why} (overnight hours are not supported)")
    return _parse_days(match["days"]), (start, end)


def _parse(spec: str) -> tuple[bool, tuple[_Hours | None, ...]]:
    """Return (always, hours per weekday) for a spec."""
    if not isinstance(spec, str):
        raise OpeningHoursError(f"spec must be a string, not {type(spec).__name__}")
    text = spec.strip().lower()
    if text in ("always", "never"):
        return text == "always", (None,) * 7
    clauses = [clause.strip() for clause in spec.split(";") if clause.strip()]
    if not clauses:
        raise OpeningHoursError("spec is empty; use 'always', 'never' or e.g. 'Mon-Fri 09:00-17:00'")
    week: list[_Hours | None] = [None] * 7
    for clause in clauses:
        days, hours = _parse_clause(clause)
        for day in days:
            # One interval per day keeps is_open and close_of unambiguous.
            if week[day] is not None:
                raise OpeningHoursError(f"{_FULL_NAMES[day]} is given hours more than once")
            week[day] = hours
    return False, tuple(week)


@dataclass(frozen=True)
class OpeningHours:
    """Weekly London opening hours, closed on England & Wales bank holidays unless 'always'."""

    spec: str
    _always: bool = field(init=False, repr=False, compare=False)
    _week: tuple[_Hours | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Parse the spec so that a bad one fails at construction, not mid-call."""
        try:
            always, week = _parse(self.spec)
        except OpeningHoursError as exc:
            raise OpeningHoursError(f"invalid opening hours {self.spec!r}: {exc}") from None
        # The dataclass is frozen, so the parsed form can only be stored this way.
        object.__setattr__(self, "_always", always)
        object.__setattr__(self, "_week", week)

    @classmethod
    def parse(cls, spec: str) -> OpeningHours:
        """Return the opening hours for spec, raising OpeningHoursError if it is malformed."""
        return cls(spec)

    @property
    def _never(self) -> bool:
        """Return True if the spec is never open."""
        return not self._always and all(hours is None for hours in self._week)

    def _hours_on(self, day: date) -> _Hours | None:
        """Return the (open, close) wall-clock times on day, or None if closed all day."""
        hours = self._week[day.weekday()]
        return None if hours is None or is_bank_holiday(day) else hours

    def is_open(self, when: datetime) -> bool:
        """Return True if open at when (naive datetimes are read as UTC)."""
        if self._always:
            return True
        local = _to_london(when)
        hours = self._hours_on(local.date())
        return hours is not None and hours[0] <= local.time() < hours[1]

    def is_working_day(self, day: date) -> bool:
        """Return True if the spec opens at all on day."""
        return self._always or self._hours_on(day) is not None

    def next_open(self, when: datetime) -> datetime:
        """Return the earliest London moment at or after when at which we are open."""
        if self._never:
            raise OpeningHoursError(f"opening hours {self.spec!r} never open, so there is no next opening")
        local = _to_london(when)
        if self.is_open(local):
            return local
        for offset in range(_SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            hours = self._hours_on(day)
            if hours is None:
                continue
            # Opening begins when the clock reaches the start time, or when a clock change
            # jumps the wall time into (or back into) the open window.
            moments = _instants_at(day, hours[0]) + _clock_changes(day)
            candidates = [moment for moment in moments if moment >= local and self.is_open(moment)]
            if candidates:
                return min(candidates).astimezone(LONDON)
        raise OpeningHoursError(f"opening hours {self.spec!r} do not open within a year of {local:%Y-%m-%d}")

    def close_of(self, day: date) -> datetime | None:
        """Return the London closing time on day, or None if closed all day."""
        if self._always:
            # Open round the clock, so the day closes when the next one begins.
            return datetime.combine(day + timedelta(days=1), time(), LONDON)
        hours = self._hours_on(day)
        if hours is None:
            return None
        instants = _instants_at(day, hours[1])
        if instants:
            # When clocks go back the closing time happens twice; the second is the real close.
            return instants[-1].astimezone(LONDON)
        # The closing time was skipped by the clocks going forward, so we close at the jump.
        return _clock_changes(day)[0].astimezone(LONDON)

    def end_of_next_working_day(self, when: datetime) -> datetime:
        """Return the closing time of the first working day strictly after when's London date."""
        if self._never:
            raise OpeningHoursError(f"opening hours {self.spec!r} never open, so there is no working day")
        today = _to_london(when).date()
        for offset in range(1, _SEARCH_DAYS + 1):
            day = today + timedelta(days=offset)
            if self.is_working_day(day):
                return self.close_of(day)
        raise OpeningHoursError(f"opening hours {self.spec!r} have no working day within a year of {today}")

    def clamp_to_open(self, when: datetime) -> datetime:
        """Return when (in London time) if open, otherwise the next opening moment."""
        return _to_london(when) if self.is_open(when) else self.next_open(when)
