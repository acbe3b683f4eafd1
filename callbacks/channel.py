"""Where and how a callback goes: SMS to mobiles, voice to landlines, only to numbers we may use."""
from __future__ import annotations

from dataclasses import dataclass

from routing.phone import is_mobile

CHANNELS = ("sms", "voice")


@dataclass(frozen=True)
class Destination:
    """A number and channel for a callback, or None with the reason nothing can be sent."""

    number: str | None
    channel: str | None
    why: str


def channel_for(number: str, school_override: str | None = None) -> str:
    """SMS for a mobile, a voice call for a landline, unless the school chose one."""
    if school_override in CHANNELS:
        return school_override
    return "sms" if is_mobile(number) else "voice"


def status_destination(caller: str | None, school_urn: int | None, school_numbers: list[str],
                       school_override: str | None = None) -> Destination:
    """The contact's own number if it belongs to the school, else the school's registered number; never another."""
    if school_urn is None:
        return Destination(None, None, "the school is not known, so there is no school number to call back")
    if caller and caller in school_numbers:
        return Destination(caller, channel_for(caller, school_override), "the number the contact came from")
    if school_numbers:
        number = school_numbers[0]
        return Destination(number, channel_for(number, school_override), "the school's registered number")
    return Destination(None, None, "the school has no registered phone number")


def reference_destination(caller: str | None) -> Destination:
    """The reference SMS goes to the caller's own mobile right after the call, and nowhere else."""
    if caller and is_mobile(caller):
        return Destination(caller, "sms", "the mobile the call came from")
    return Destination(None, None, "the call did not come from a mobile, so staff give the reference by phone")
