"""How the numbers and letters in a spoken sentence are to be read, as parts for SSML <say-as>."""
from __future__ import annotations

import re

import phonenumbers

TELEPHONE, CHARACTERS, ORDINAL, CARDINAL = "telephone", "characters", "ordinal", "cardinal"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
# Twilio reads the services' short numbers by digit only when told: "999" may become "nine hundred and ninety-nine".
SHORT_NUMBERS = ("999", "111", "112", "101")

_TOKEN = re.compile(
    r"(?P<clock>\b(?P<hour>\d{1,2}):(?P<minute>\d{2}) ?(?P<half>am|pm)\b)"
    r"|(?P<phone>(?:\+44 ?|\b0)\d{2,4}(?: ?\d{3,4}){1,2}\b)"
    rf"|(?P<short>\b(?:{'|'.join(SHORT_NUMBERS)})\b)"
    rf"|(?P<day>\b\d{{1,2}}(?= (?:{'|'.join(MONTHS)})\b))"
    r"|(?P<letters>\bURN\b)")

Part = tuple[str, "str | None"]  # words, and how to read them (None: as plain words)


def _clock(match: re.Match) -> list[Part]:
    """'5:30pm' as five, thirty, P M; '10:00am' as ten, A M."""
    hour, minute = match["hour"], match["minute"]
    parts: list[Part] = [(hour, CARDINAL if len(hour) > 1 else None), (" ", None)]
    if minute != "00":
        parts += [(minute, CARDINAL), (" ", None)]
    return parts + [(match["half"], CHARACTERS)]


def _parts_of(match: re.Match) -> list[Part]:
    if match["clock"]:
        return _clock(match)
    if match["phone"] or match["short"]:
        return [(match[0], TELEPHONE)]
    if match["day"]:
        # "Wednesday 25 November" is said as "Wednesday the twenty-fifth of November".
        return [("the ", None), (match[0], ORDINAL), (" of", None)]
    return [(match[0], CHARACTERS)]


def spoken_parts(text: str) -> list[Part]:
    """The text cut into plain words and the numbers or letters that need <say-as>; adjacent words joined."""
    parts: list[Part] = []
    last = 0
    for match in _TOKEN.finditer(text):
        parts.append((text[last:match.start()], None))
        parts.extend(_parts_of(match))
        last = match.end()
    parts.append((text[last:], None))
    merged: list[Part] = []
    for words, interpret_as in parts:
        if not words:
            continue
        if interpret_as is None and merged and merged[-1][1] is None:
            merged[-1] = (merged[-1][0] + words, None)  # twilio's builder keeps only one text run between elements
        else:
            merged.append((words, interpret_as))
    return merged


def bare_numbers(text: str) -> list[str]:
    """Runs of two or more digits in plain words, which a voice may read as a quantity."""
    return re.findall(r"\d{2,}", text)


def national(number: str) -> str:
    """A number as written in the UK: '01926 414144'."""
    return phonenumbers.format_number(phonenumbers.parse(number, "GB"), phonenumbers.PhoneNumberFormat.NATIONAL)


def spoken_digits(text: str) -> str:
    """Digits read one by one, with a pause between groups: '0 1 9 2 6, 4 1 4 1 4 4'."""
    return ", ".join(" ".join(group) for group in text.split())
