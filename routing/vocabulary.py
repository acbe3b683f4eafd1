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
    LINES = (MASH, DSL_INFOLINE, EARLY_HELP, EDT)  # the lines a call is put through to
    URGENT_LINES = (MASH, EDT)
    # How the staff pages name each route.
    LABELS = {
        MASH: "MASH",
        DSL_INFOLINE: "DSL Infoline",
        EARLY_HELP: "Early Help",
        EDT: "Emergency Duty Team",
        STATUS_CHECK: "Checked on a contact (option 4)",
        VOICEMAIL: "Left a message",
        ABANDONED: "Hung up in the menu",
    }


class SchoolMatch:
    """How the caller's school was found."""

    CALLER_ID = "caller_id"
    URN_KEYPAD = "urn_keypad"
    AMBIGUOUS = "ambiguous"
    UNIDENTIFIED = "unidentified"
    WITHHELD = "withheld"
    ALL = (CALLER_ID, URN_KEYPAD, AMBIGUOUS, UNIDENTIFIED, WITHHELD)


# A contact's statuses and outcomes, with the plain words a DSL reads or hears.
STATUSES = ("received", "being_assessed", "decided", "closed")
OPEN_STATUSES = ("received", "being_assessed")  # still waiting for a decision (or a service's outcome)
STATUS_LABELS = {
    "received": "received",
    "being_assessed": "being assessed",
    "decided": "decided",
    "closed": "closed",
}

# An inbox entry is a recorded message, or a busy line's request to be called back.
MESSAGE = "message"
CALLBACK_REQUEST = "callback_request"
# What became of a "Call back": the caller's answer, as Twilio's DialCallStatus says it; "staff-missed" when the
# member of staff's own phone was not answered, so the caller was never dialled.
CALL_BACK_OUTCOME_LABELS = {
    "answered": "answered",
    "no-answer": "no answer",
    "busy": "busy",
    "failed": "failed",
    "staff-missed": "your phone was not answered",
}

OUTCOME_LABELS = {
    "no_further_action": "no further action",
    "early_help": "passed to Early Help",
    "social_care_assessment": "a social care assessment",
    "strategy_discussion": "a strategy discussion",
    "other": "another outcome",
}
OUTCOMES = tuple(OUTCOME_LABELS)
NO_FURTHER_ACTION = "no_further_action"
# The DSL Infoline and Early Help note how a call ended; MASH (and EDT) contacts keep their decisions above.
SERVICE_OUTCOME_LABELS = {
    "advice_given": "advice given",
    "passed_to_mash": "passed to MASH",
    "early_help_offered": "Early Help offered",
    "other": "another outcome",
}
SERVICE_OUTCOMES = tuple(SERVICE_OUTCOME_LABELS)
ALL_OUTCOME_LABELS = {**OUTCOME_LABELS, **SERVICE_OUTCOME_LABELS}


# A message's states in the inbox, in order: it only ever moves forward (steps may be skipped).
MESSAGE_STATES = ("new", "assigned", "called_back", "closed")
OPEN_MESSAGE_STATES = ("new", "assigned", "called_back")  # the inbox shows these unless asked otherwise
MESSAGE_STATE_LABELS = {
    "new": "new",
    "assigned": "assigned",
    "called_back": "called back",
    "closed": "closed",
}


def outcomes_for(service: str | None) -> tuple[str, ...]:
    """The outcomes a contact with this service may be given: MASH's decisions, or a service's own."""
    return OUTCOMES if service in (None, *Route.URGENT_LINES) else SERVICE_OUTCOMES


class CallbackState:
    """Where a status callback (SMS or voice call) to a DSL stands (stored as text)."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    UNCONFIRMED = "unconfirmed"  # sent, but Twilio's answer never came
    CHECKING = "checking"  # a worker is asking Twilio whether an earlier send got through
    UNCERTAIN = "uncertain"  # Twilio could not say: staff check before anything is sent again
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ALL = (SCHEDULED, SENDING, SENT, UNCONFIRMED, CHECKING, UNCERTAIN, DELIVERED, FAILED, CANCELLED)
    # Rows a status callback may still change: the attempt in flight (it also settles a send in doubt).
    IN_FLIGHT = (SENDING, SENT, UNCONFIRMED, CHECKING)
    # Rows retention must leave alone: they may still be sent.
    PENDING = (SCHEDULED, SENDING, UNCONFIRMED, CHECKING)
