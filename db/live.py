"""Query functions for the live page: the calls being put through to a line now, and open contacts like theirs."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import or_
from sqlmodel import Session, select

from db.models import Call, Contact, Route, School
from routing.phone import WITHHELD
from routing.transfer import ANSWERED
from routing.vocabulary import OPEN_STATUSES

# A call whose status callback was lost would otherwise stay "being put through" for ever.
LIVE_FOR = timedelta(hours=1)
# No caller spends an hour in the menu: this bounds started_at too, so the index on it finds the calls.
MENU_BOUND = timedelta(hours=1)
RELATED_DAYS = 30
MAX_CALLS = 50


@dataclass(frozen=True)
class RelatedContact:
    """An undecided contact from the same school or number as a live call."""

    id: int
    reference: str
    status: str
    service: str
    created_at: datetime
    school_urn: int | None
    caller: str | None


@dataclass
class LiveCall:
    """A call being put through to a line, with its contact's reference and the open contacts like it."""

    call_id: int
    route: str
    started_at: datetime
    routed_at: datetime
    caller: str | None
    school_urn: int | None
    school_name: str | None
    school_match: str | None
    contact_id: int | None
    reference: str | None
    open_contacts: list[RelatedContact] = field(default_factory=list)

    def is_like(self, contact: RelatedContact) -> bool:
        """Whether a contact is another from this call's school or number."""
        if contact.id == self.contact_id:
            return False
        same_school = self.school_urn is not None and contact.school_urn == self.school_urn
        same_number = bool(self.caller) and self.caller != WITHHELD and contact.caller == self.caller
        return same_school or same_number


def get_open_contacts_for(session: Session, urns: Iterable[int], callers: Iterable[str],
                          since: datetime) -> list[RelatedContact]:
    """Undecided contacts opened since `since` for any of these schools or caller numbers, newest first (a
    live call's own contact among them: LiveCall.is_like leaves it out, while another live call lists it)."""
    urns = sorted(set(urns))
    callers = sorted({caller for caller in callers if caller and caller != WITHHELD})
    if not urns and not callers:
        return []
    query = (select(Contact.id, Contact.reference, Contact.status, Contact.service, Contact.created_at,
                    Contact.school_urn, Contact.caller)
             .where(Contact.status.in_(OPEN_STATUSES), Contact.created_at >= since,
                    or_(Contact.school_urn.in_(urns), Contact.caller.in_(callers)))
             .order_by(Contact.created_at.desc(), Contact.id.desc()))
    return [RelatedContact(*row) for row in session.exec(query)]


def get_calls_being_put_through(session: Session, now: datetime,
                                services: Collection[str] | None = None) -> list[LiveCall]:
    """Calls routed to a line (or to one of `services`) in the last hour, not yet answered or ended, newest first,
    each with the open contacts of the last 30 days from its school or number: two queries in all."""
    since = now - LIVE_FOR
    query = (select(Call.id, Call.route, Call.started_at, Call.routed_at, Call.caller, Call.school_urn,
                    School.name, Call.school_match, Contact.id, Contact.reference)
             .join(Contact, Contact.call_id == Call.id, isouter=True)
             .join(School, School.urn == Call.school_urn, isouter=True)
             .where(Call.route.in_(tuple(services) if services else Route.LINES), Call.started_at >= since - MENU_BOUND,
                    Call.routed_at >= since, Call.ended_at.is_(None),
                    # Twilio reports a transfer when it ends: answered, the conversation is over. A line that
                    # did not answer leaves its status while the caller is tried again or put through to MASH.
                    or_(Call.transfer_status.is_(None), Call.transfer_status.not_in(sorted(ANSWERED))))
             .order_by(Call.routed_at.desc(), Call.id.desc()).limit(MAX_CALLS))
    calls = [LiveCall(*row) for row in session.exec(query)]
    if not calls:
        return calls
    related = get_open_contacts_for(session, (call.school_urn for call in calls if call.school_urn is not None),
                                    (call.caller for call in calls), now - timedelta(days=RELATED_DAYS))
    for call in calls:
        call.open_contacts = [contact for contact in related if call.is_like(contact)]
    return calls
