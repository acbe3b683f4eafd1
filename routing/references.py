"""What a caller hears about their own references: after a transfer, and when option 4 knows them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from routing import prompts
from routing.hours import LONDON
from routing.phone import is_uk_mobile, is_uk_number, normalise_number
from routing.prompts import SERVICE_NAMES
from routing.spoken import spoken_digits
from routing.vocabulary import STATUS_LABELS, Route

MAX_READ_OUT = 3  # more open contacts than this and option 4 asks for the reference instead
OPEN_WITHIN = timedelta(days=30)


@dataclass(frozen=True)
class OpenContact:
    """A contact read to its caller: its reference, line, status and the decision's expected time."""

    reference: str
    service: str
    status: str
    promised_by: datetime | None


def when_spoken(when: datetime, now: datetime) -> str:
    """A time as a caller hears it: '5:30 pm today', '5:30 pm tomorrow, Wednesday', '5:30 pm on Friday 27 November'."""
    local, today = when.astimezone(LONDON), now.astimezone(LONDON).date()
    # Open round the clock, a working day ends at midnight: "12 am on Thursday" would mislead.
    at_midnight = (local.hour, local.minute) == (0, 0)
    day = (local - timedelta(days=1)).date() if at_midnight else local.date()
    if day == today:
        words = "today"
    elif day == today + timedelta(days=1):
        words = f"tomorrow, {day:%A}"
    else:
        words = f"{day:%A} {day.day} {day:%B}" if at_midnight else f"on {day:%A} {day.day} {day:%B}"
    if at_midnight:
        return f"the end of {words}"
    return f"{local.strftime('%I:%M %p').lstrip('0').lower()} {words}"


def day_spoken(when: datetime, now: datetime) -> str:
    """Which day a time falls on, as a caller hears it: 'today', 'tomorrow', 'on Monday', 'on Monday 7 December'."""
    day, today = when.astimezone(LONDON).date(), now.astimezone(LONDON).date()
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return f"on {day:%A}" if day - today < timedelta(days=7) else f"on {day:%A} {day.day} {day:%B}"


def reference_speech(reference: str, service: str, promised_by: datetime | None, now: datetime) -> str:
    """'Your reference is 1 2 3 4 5 6. MASH will decide by 5:30 pm tomorrow, Wednesday.'"""
    said = prompts.REFERENCE_IS.format(reference=spoken_digits(reference))
    name = prompts.capitalised(SERVICE_NAMES.get(service, "MASH"))
    if service not in Route.URGENT_LINES:
        return f"{said} {prompts.QUOTE_REFERENCE}"
    if promised_by is None:
        return f"{said} {prompts.DECISION_TO_FOLLOW.format(Service=name)}"
    return f"{said} {prompts.DECIDE_BY.format(Service=name, when=when_spoken(promised_by, now))}"


def typed_number(digits: str | None, is_wanted=is_uk_number) -> str | None:
    """The number a caller typed, in E.164, or None if what they typed is not a wanted one (by default any UK
    number: a landline or a mobile)."""
    number = normalise_number("".join(ch for ch in (digits or "") if ch.isdigit()) or None)
    return number if is_wanted(number) else None


def typed_mobile(digits: str | None) -> str | None:
    """The UK mobile a caller typed, in E.164, or None if what they typed is not one."""
    return typed_number(digits, is_uk_mobile)


def open_contact_line(contact: OpenContact, now: datetime) -> str:
    """One open contact in a sentence, its reference read digit by digit."""
    reference, status = spoken_digits(contact.reference), STATUS_LABELS.get(contact.status, contact.status)
    if contact.service not in Route.URGENT_LINES:
        return prompts.OPEN_CONTACT_SERVICE.format(reference=reference, service=SERVICE_NAMES.get(contact.service,
                                                                                                  "another service"),
                                                   status=status)
    if contact.promised_by is not None and contact.promised_by > now:
        return prompts.OPEN_CONTACT_DECISION.format(reference=reference, status=status,
                                                    when=when_spoken(contact.promised_by, now))
    return prompts.OPEN_CONTACT_LATE.format(reference=reference, status=status)


def open_contacts_speech(contacts: list[OpenContact], now: datetime) -> str:
    """'You have 2 open contacts. 1 2 3 4 5 6: being assessed, decision expected by ...' (at most MAX_READ_OUT)."""
    count = prompts.ONE_OPEN_CONTACT if len(contacts) == 1 else prompts.OPEN_CONTACTS.format(count=len(contacts))
    return " ".join([count, *(open_contact_line(contact, now) for contact in contacts)])
