"""Events from the council's case system: a contact's new status, applied once however often it is sent."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from contacts.states import ContactError, check_status_change, save_status
from db.contacts import get_contact_by_reference, get_event_by_event_id

FIELDS = ("event_id", "status", "outcome", "reason_code", "occurred_at", "actor")
REQUIRED = ("event_id", "status", "occurred_at", "actor")
MAX_LENGTHS = {"event_id": 100, "status": 40, "outcome": 40, "reason_code": 40, "actor": 128}
CLOCK_SKEW = timedelta(minutes=5)  # the case system's clock may run a little ahead of ours
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class CaseEvent:
    """A checked event: the case system's id, the new status and its outcome and reason, when, and by whom."""

    event_id: str
    status: str
    occurred_at: datetime
    actor: str
    outcome: str | None = None
    reason_code: str | None = None


def _occurred_at(text: str, now: datetime) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ContactError("'occurred_at' must be an ISO 8601 time, such as 2026-11-24T10:00:00Z.",
                           "occurred_at") from None
    if when.tzinfo is None:
        raise ContactError("'occurred_at' needs its offset from UTC, such as 2026-11-24T10:00:00Z.", "occurred_at")
    if when > now + CLOCK_SKEW:
        raise ContactError("'occurred_at' is in the future.", "occurred_at")
    return when.astimezone(timezone.utc)


def parse_case_event(fields: Mapping[str, object], now: datetime) -> CaseEvent:
    """An event from a JSON object or a CSV row, or a ContactError naming the field at fault."""
    if unknown := sorted(set(fields) - set(FIELDS)):
        raise ContactError(f"Unknown field '{unknown[0]}'. The fields are: {', '.join(FIELDS)}.", unknown[0])
    values: dict = {}
    for name in FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            raise ContactError(f"'{name}' must be a string.", name)
        value = (value or "").strip() or None
        if value is not None and CONTROL.search(value):
            raise ContactError(f"'{name}' holds a control character.", name)
        if value is None and name in REQUIRED:
            raise ContactError(f"'{name}' is required.", name)
        if value is not None and len(value) > MAX_LENGTHS.get(name, len(value)):
            raise ContactError(f"'{name}' is too long: at most {MAX_LENGTHS[name]} characters.", name)
        values[name] = value
    values["occurred_at"] = _occurred_at(values["occurred_at"], now)
    return CaseEvent(**values)


def _seen_before(session: Session, reference: str, event_id: str) -> bool:
    earlier = get_event_by_event_id(session, event_id)
    if earlier is None:
        return False
    contact = get_contact_by_reference(session, reference)
    if contact is None:
        raise ContactError(f"No contact has the reference '{reference}'.", "reference")
    if earlier.contact_id != contact.id:
        raise ContactError("This event_id was already sent for another contact.", "event_id", conflict=True)
    return True


def save_case_event(session: Session, reference: str, event: CaseEvent, settings, now: datetime) -> bool:
    """Apply the event to the contact, as staff's form would; False when its event_id was applied before."""
    if _seen_before(session, reference, event.event_id):
        session.rollback()  # nothing to write: let go of SQLite's write lock at once
        return False
    try:
        save_status(session, reference, event.status, outcome=event.outcome, reason_code=event.reason_code,
                    actor=event.actor, settings=settings, now=now, occurred_at=event.occurred_at,
                    event_id=event.event_id)
    except ContactError as error:
        # The same event, sent twice at once, was applied while this one waited for the contact's lock.
        if error.conflict and _seen_before(session, reference, event.event_id):
            return False
        raise
    except IntegrityError:
        if _seen_before(session, reference, event.event_id):
            return False
        raise
    return True


@dataclass
class ImportReport:
    """What a file of events did (or, in a dry run, would do)."""

    applied: int = 0
    repeats: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (the row's line in the file, the heading 1; why)


def _check_only(session: Session, reference: str, event: CaseEvent, now: datetime, statuses: dict,
                seen: dict) -> bool:
    """What save_case_event would answer, saving nothing; `statuses` and `seen` (event_id -> reference) carry a
    dry run's earlier rows."""
    if event.event_id in seen:
        if seen[event.event_id] != reference:
            raise ContactError("This event_id was already sent for another contact.", "event_id", conflict=True)
        return False
    if _seen_before(session, reference, event.event_id):
        return False
    contact = get_contact_by_reference(session, reference)
    if contact is None:
        raise ContactError(f"No contact has the reference '{reference}'.", "reference")
    change = check_status_change(session, contact, event.status, outcome=event.outcome, reason_code=event.reason_code,
                                 note=None, actor=event.actor, now=now, occurred_at=event.occurred_at,
                                 current=statuses.get(reference))
    statuses[reference] = change.status
    seen[event.event_id] = reference
    return True


def import_events(session: Session, rows: Iterable[tuple[int, Mapping[str, str]]], settings, now: datetime,
                  dry_run: bool = False) -> ImportReport:
    """Apply a file's events, (row number, row) in order, each on its own, as the API would; a dry run checks
    them and saves nothing."""
    report, statuses, seen = ImportReport(), {}, {}
    for number, row in rows:
        reference = (row.get("reference") or "").strip()
        if None in row:  # the csv module's key for cells beyond the heading's
            report.rejected.append((number, "The row has more cells than the heading."))
            continue
        try:
            event = parse_case_event({k: v for k, v in row.items() if k != "reference"}, now)
            applied = (_check_only(session, reference, event, now, statuses, seen) if dry_run
                       else save_case_event(session, reference, event, settings, now))
        except ContactError as error:
            report.rejected.append((number, str(error)))
            continue
        if applied:
            report.applied += 1
        else:
            report.repeats += 1
    return report
