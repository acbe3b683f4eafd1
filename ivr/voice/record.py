"""What each step of a live call changes on its record: a failure counted, the route, the transfer, a message,
the fail-safe, the end. The queries that load and save the call are db/calls.py."""
from __future__ import annotations

from datetime import datetime

from db.models import Call
from routing.vocabulary import Route


def count_failure(call: Call, reason: str | None) -> None:
    """Count a no-input or invalid key on the call."""
    if reason == "no_input":
        call.no_input_count += 1
    elif reason == "invalid":
        call.invalid_count += 1


def set_route(call: Call, route: str, at: datetime, service: str | None = None) -> None:
    """Set the call's route; the first routing time is kept for time-to-route."""
    call.route = route
    call.service = service or call.service or route
    if call.routed_at is None:
        call.routed_at = at


def set_transfer(call: Call, dial_status: str | None, duration: str | None) -> None:
    """Keep the outcome of the last transfer."""
    call.transfer_status = (dial_status or "unknown")[:32]
    try:
        call.transfer_duration_s = int(duration) if duration not in (None, "") else None
    except ValueError:
        call.transfer_duration_s = None


def set_recording(call: Call, url: str | None, service: str, urgent: bool, at: datetime) -> None:
    """Store the link to a message (never the audio) and route the call to VOICEMAIL."""
    if url:
        call.recording_url = url[:500]
    call.urgent_flag = call.urgent_flag or urgent
    set_route(call, Route.VOICEMAIL, at, service)
    call.service = service


TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def end_call(call: Call, call_status: str | None, duration: str | None, at: datetime) -> None:
    """Close the call from Twilio's status callback; no route chosen means ABANDONED."""
    if (call_status or "").strip().lower() not in TERMINAL_STATUSES:
        return  # ringing or in-progress callbacks (if the console sends them) do not end the call
    call.call_status = call_status.strip().lower()
    call.text_to = None  # a typed mobile never confirmed goes with the call
    if call.ended_at is None:
        call.ended_at = at
    try:
        call.duration_s = int(duration) if duration not in (None, "") else call.duration_s
    except ValueError:
        pass
    if call.route is None:
        call.route = Route.ABANDONED


def mark_failsafe(call: Call, caller: str | None, route: str, at: datetime, dial_status: str | None = None) -> None:
    """The fail-safe answered: routed straight to MASH or EDT, counted apart from abandonment."""
    call.failsafe = True
    if call.caller is None and caller:
        call.caller = caller
    if call.route in (None, Route.ABANDONED):
        set_route(call, route, at)
    if dial_status:
        set_transfer(call, dial_status, None)
