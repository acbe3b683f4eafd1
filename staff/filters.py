"""Template filters: Europe/London times, UK phone numbers, durations, percentages and table cells."""
from __future__ import annotations

from datetime import datetime

import phonenumbers

from routing.hours import LONDON
from routing.phone import WITHHELD


def london(when: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """An instant shown in Europe/London."""
    return when.astimezone(LONDON).strftime(fmt) if when else ""


def phone(number: str | None) -> str:
    """An E.164 number in UK national form (020 7946 0100); withheld and unknown in words."""
    if not number:
        return "not kept"
    if number == WITHHELD:
        return "withheld"
    try:
        return phonenumbers.format_number(phonenumbers.parse(number, "GB"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return number


def duration(seconds: int | float | None) -> str:
    """Seconds as '2 min 05 s' or '45 s'."""
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def percent(share: float | None, places: int = 1) -> str:
    """A share 0..1 as a percentage."""
    return "" if share is None else f"{share * 100:.{places}f}%"


def cell_text(value, kind: str) -> str:
    """A cell as shown on the page."""
    if value is None:
        return "–"
    if kind == "pct":
        return percent(value)
    if kind == "seconds":
        return duration(value)
    if kind == "int":
        return f"{int(value):,}"
    if kind == "ratio":
        return f"{value:,.2f}"
    if kind == "gbp":
        return f"£{value:,.2f}"
    return str(value)


def init_app(app) -> None:
    """Make the filters available to every template."""
    for name, function in (("london", london), ("phone", phone), ("duration", duration), ("percent", percent)):
        app.add_template_filter(function, name)
    app.add_template_global(cell_text, "cell_text")
