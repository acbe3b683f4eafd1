"""Where and how a callback goes: SMS to UK mobiles, voice to other UK numbers, only to numbers we may use."""
from __future__ import annotations

from dataclasses import dataclass

from routing.phone import WITHHELD, is_uk_mobile, is_uk_number

CHANNELS = ("sms", "voice")


@dataclass(frozen=True)
class Destination:
    """A number and channel for a callback, or None with the reason nothing can be sent."""

    number: str | None
    channel: str | None
    why: str


def channel_for(number: str, school_override: str | None = None) -> str:
    """SMS for a UK mobile, a voice call otherwise; a school may choose calls even to mobiles."""
    if school_override == "voice":
        return "voice"
    # A text to a landline or abroad cannot land (or costs what SMS pumping hopes it will): ring instead.
    return "sms" if is_uk_mobile(number) else "voice"


def status_destination(caller: str | None, school_urn: int | None, school_numbers: list[str],
                       school_override: str | None = None) -> Destination:
    """The contact's own number if it belongs to the school, else the school's registered number; never another."""
    if school_urn is None:
        return Destination(None, None, "the school is not known, so there is no school number to call back")
    usable = [number for number in school_numbers if is_uk_number(number)]
    if caller and caller in usable:
        return Destination(caller, channel_for(caller, school_override), "the number the contact came from")
    if usable:
        number = usable[0]
        return Destination(number, channel_for(number, school_override), "the school's registered number")
    if school_numbers:
        return Destination(None, None, "the school's registered numbers are outside the UK, and callbacks ring "
                                       "only UK numbers")
    return Destination(None, None, "the school has no registered phone number")


def reference_destination(caller: str | None) -> Destination:
    """The reference SMS goes to the caller's own UK mobile right after the call, and nowhere else."""
    if caller and is_uk_mobile(caller):
        return Destination(caller, "sms", "the mobile the call came from")
    if caller and caller != WITHHELD and not is_uk_number(caller):
        # A caller ID from abroad may be spoofed to make us pay for texts to it (SMS pumping): this
        # destination is refused when queued, and the refusal is kept so staff see why no text went.
        return Destination(caller, "sms", "the number the call came from, outside the UK")
    return Destination(None, None, "the call did not come from a mobile, so staff give the reference by phone")


def refusal(channel: str, number: str) -> str | None:
    """Why a callback may not go to this number on this channel (the outbox's words), or None if it may."""
    abroad = not is_uk_number(number)
    if channel == "sms" and abroad:
        return "Not sent: texts go only to UK mobiles, and this number is outside the UK."
    if channel == "sms" and not is_uk_mobile(number):
        return "Not sent: texts go only to UK mobiles, and this number is not a mobile."
    if channel == "voice" and abroad:
        return "Not sent: calls go only to UK numbers, and this number is outside the UK."
    return None
