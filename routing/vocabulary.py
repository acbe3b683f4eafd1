"""The shared words of a call, imported by the decisions and by the tables that store them."""
from __future__ import annotations


class Route:
    """Final routes of a call (stored as text)."""

    MASH = "MASH"
    DSL_INFOLINE = "DSL_INFOLINE"
    EARLY_HELP = "EARLY_HELP"
    EDT = "EDT"
    STATUS_CHECK = "STATUS_CHECK"
    VOICEMAIL = "VOICEMAIL"
    ABANDONED = "ABANDONED"
    ALL = (MASH, DSL_INFOLINE, EARLY_HELP, EDT, STATUS_CHECK, VOICEMAIL, ABANDONED)


class SchoolMatch:
    """How the caller's school was found."""

    CALLER_ID = "caller_id"
    URN_KEYPAD = "urn_keypad"
    AMBIGUOUS = "ambiguous"
    UNIDENTIFIED = "unidentified"
    WITHHELD = "withheld"
    ALL = (CALLER_ID, URN_KEYPAD, AMBIGUOUS, UNIDENTIFIED, WITHHELD)
