"""Caller numbers: normalise to E.164 and spot withheld or invalid caller IDs."""
from __future__ import annotations

import phonenumbers

WITHHELD = "withheld"
# What Twilio and carriers send for a withheld caller ID.
WITHHELD_MARKERS = {"", "anonymous", "restricted", "unknown", "private", "unavailable", "+266696687", "266696687"}


def normalise_number(raw: str | None, region: str = "GB") -> str | None:
    """E.164 form of a phone number in any common format, or None if it is not a valid number."""
    if raw is None:
        return None
    text = str(raw).strip()[:64]
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def caller_number(raw: str | None) -> str:
    """The caller as stored on a call: E.164, or 'withheld' for withheld and invalid caller IDs."""
    if raw is None or str(raw).strip().lower() in WITHHELD_MARKERS:
        return WITHHELD
    return normalise_number(raw) or WITHHELD


def _parsed(e164: str | None) -> phonenumbers.PhoneNumber | None:
    """A valid number, parsed, or None."""
    try:
        parsed = phonenumbers.parse(e164 or "", "GB")
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


def is_uk_number(e164: str | None) -> bool:
    """A valid number in the UK itself (any type): callbacks ring only these."""
    # Jersey, Guernsey and the Isle of Man share +44 but are their own regions (JE, GG, IM) to
    # libphonenumber and their own countries to Twilio's pricing and geo permissions: not the UK here.
    parsed = _parsed(e164)
    return parsed is not None and phonenumbers.region_code_for_number(parsed) == "GB"


def is_uk_mobile(e164: str | None) -> bool:
    """A UK mobile (+447, excluding pagers and the Crown dependencies): texts go only to these."""
    parsed = _parsed(e164)
    return (parsed is not None and phonenumbers.region_code_for_number(parsed) == "GB"
            and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE)


def mask_number(number: str | None) -> str:
    """All but the last 3 digits hidden, for logs."""
    if not number:
        return ""
    if number == WITHHELD:
        return WITHHELD
    return "*" * max(len(number) - 3, 0) + number[-3:]
