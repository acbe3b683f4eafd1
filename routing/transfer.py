"""What happens after a transfer: answered, retried, offered MASH, or a message taken."""
from __future__ import annotations

from routing.menu import Decision, urgent_route
from routing.vocabulary import Route

ANSWERED = frozenset({"completed", "answered"})
URGENT_SERVICES = frozenset(Route.URGENT_LINES)
MAX_URGENT_TRIES = 2


def decide_after_dial(service: str, dial_status: str | None, attempt: int) -> Decision:
    """Decide the next step from Twilio's DialCallStatus for a transfer."""
    if (dial_status or "").strip().lower() in ANSWERED:
        return Decision("done", service)
    if service in URGENT_SERVICES:
        if attempt < MAX_URGENT_TRIES:
            return Decision("retry", service)
        return Decision("message", service, reason="urgent")
    return Decision("offer", service)


OVERFLOW_KEY = "1"  # on a busy line's offer, the key that sends the caller to MASH (or EDT)


def decide_after_offer(digits: str | None, in_hours: bool) -> Decision:
    """After a non-urgent line did not answer: 1 goes to MASH, 2 asks to be called back (in hours; the offer
    out of hours has no 2), anything else, silence too, leaves a message as before."""
    key = (digits or "").strip()
    if key == OVERFLOW_KEY:
        return Decision("connect", urgent_route(in_hours))
    if key == "2" and in_hours:
        return Decision("call_back")
    return Decision("message")


def decide_service_connection(service: str, in_hours: bool) -> Decision:
    """A chosen non-urgent service: connect in hours, take a message out of hours."""
    if in_hours:
        return Decision("connect", service)
    return Decision("message", service, reason="closed")
