"""What an inbox shows: whose services a member of staff sees, the filters, and each entry's age."""
from __future__ import annotations

from datetime import datetime, timedelta

from messages.states import ROLES_SEEING_ALL, MessageError
from routing.vocabulary import MESSAGE_STATES, OPEN_MESSAGE_STATES, Route

SERVICES = Route.LINES  # a message is left for a line, so teams and inboxes are the lines
ALL = "all"


def services_seen(role: str, team: list[str]) -> tuple[str, ...] | None:
    """The inboxes an account sees: every one (None) for a supervisor or admin, else its own services'."""
    return None if role in ROLES_SEEING_ALL else tuple(team)


def may_hear(seen: tuple[str, ...] | None, service: str | None) -> bool:
    """Whether an account seeing these inboxes may play a message left for this service (MASH if none is named)."""
    return seen is None or (service or Route.MASH) in seen


def chosen_services(seen: tuple[str, ...] | None, service: str | None) -> tuple[str, ...] | None:
    """The services to list for a filter ('' or None: every inbox seen); one not seen lists nothing."""
    if not service:
        return seen
    if service not in SERVICES:
        raise MessageError(f"Unknown service '{service[:20]}'. Use one of: {', '.join(SERVICES)}.")
    return (service,) if seen is None or service in seen else ()


def chosen_states(state: str | None) -> tuple[str, ...]:
    """The states to list for a filter: '' or None means every state but closed, 'all' every state."""
    if not state:
        return OPEN_MESSAGE_STATES
    if state == ALL:
        return MESSAGE_STATES
    if state not in MESSAGE_STATES:
        raise MessageError(f"Unknown state '{state[:20]}'. Use one of: {', '.join(MESSAGE_STATES)} or {ALL}.")
    return (state,)


def age(since: datetime, now: datetime) -> str:
    """How long a message has waited: '45 min', '2 h 05 min', '3 d 04 h'."""
    waited = max(now - since, timedelta(0))
    days, hours, minutes = waited.days, waited.seconds // 3600, waited.seconds % 3600 // 60
    if days:
        return f"{days} d {hours:02d} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"
