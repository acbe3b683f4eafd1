"""Query functions for the schools register and the phone numbers that identify callers."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from db.models import School, SchoolPhone

# The label of the number the GIAS import manages; numbers under other labels are never touched by it.
SWITCHBOARD = "switchboard"
SCHOOL_FIELDS = ("name", "la_code", "phase", "postcode")


@dataclass
class BatchCounts:
    """What one batch of imported records did to the register."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # closed schools the register never had


@dataclass(frozen=True)
class SchoolRecord:
    """One establishment read from the file, checked and normalised."""

    row: int
    urn: int
    name: str
    la_code: str | None = None
    phase: str | None = None
    postcode: str | None = None
    pupils: int | None = None
    has_pupils: bool = False  # the file has a NumberOfPupils column
    phone: str | None = None  # E.164
    has_phone: bool = False  # the file has a telephone column
    is_open: bool = True
    notes: tuple[str, ...] = ()  # values dropped from a school that is kept


def get_school(session: Session, urn: int) -> School | None:
    """The school with this URN, if registered."""
    return session.get(School, urn)


def get_schools_by_number(session: Session, e164: str) -> list[School]:
    """Every school that has this E.164 number (federations share one), by URN."""
    query = (select(School).join(SchoolPhone, SchoolPhone.urn == School.urn)
             .where(SchoolPhone.number == e164).order_by(School.urn))
    return list(session.exec(query))


def get_schools(session: Session, la_code: str | None = None) -> list[School]:
    """Registered schools by name, optionally of one local authority."""
    query = select(School).order_by(School.name, School.urn)
    if la_code:
        query = query.where(School.la_code == la_code)
    return list(session.exec(query))


def get_school_phones(session: Session, urns: Sequence[int]) -> dict[int, list[SchoolPhone]]:
    """The numbers of each of these schools."""
    phones: dict[int, list[SchoolPhone]] = defaultdict(list)
    if urns:
        query = select(SchoolPhone).where(SchoolPhone.urn.in_(list(urns))).order_by(SchoolPhone.id)
        for phone in session.exec(query):
            phones[phone.urn].append(phone)
    return phones


def save_school_phone(session: Session, urn: int, number: str, label: str) -> bool:
    """Register a number for a school; False when it was already there (its label is updated)."""
    existing = session.exec(
        select(SchoolPhone).where(SchoolPhone.urn == urn, SchoolPhone.number == number)).first()
    if existing is not None:
        existing.label = label
        return False
    session.add(SchoolPhone(urn=urn, number=number, label=label))
    return True


def delete_school_phone(session: Session, urn: int, number: str) -> bool:
    """Remove a number from a school; False when the school did not have it."""
    existing = session.exec(
        select(SchoolPhone).where(SchoolPhone.urn == urn, SchoolPhone.number == number)).first()
    if existing is None:
        return False
    session.delete(existing)
    return True


def _sync_switchboard(session: Session, urn: int, phones: list[SchoolPhone], wanted: str | None) -> bool:
    """Make the school's imported switchboard number the file's; True if anything changed."""
    changed = False
    for phone in phones:
        if phone.label == SWITCHBOARD and phone.number != wanted:
            session.delete(phone)
            changed = True
    if wanted and all(phone.number != wanted for phone in phones):
        session.add(SchoolPhone(urn=urn, number=wanted, label=SWITCHBOARD))
        changed = True
    return changed


def _apply(school: School, record: SchoolRecord) -> bool:
    """Copy the record's fields onto the school; True if any differed."""
    values = {name: getattr(record, name) for name in SCHOOL_FIELDS}
    if record.has_pupils:
        # A file without NumberOfPupils says nothing about pupils: keep what an earlier import stored.
        values["pupils"] = record.pupils
    changed = {name: value for name, value in values.items() if getattr(school, name) != value}
    for name, value in changed.items():
        setattr(school, name, value)
    return bool(changed)


def save_school_batch(session: Session, records: Sequence[SchoolRecord], now: datetime) -> BatchCounts:
    """Upsert a batch of GIAS records; a closed school keeps its row but loses its switchboard number."""
    counts = BatchCounts()
    urns = [r.urn for r in records]
    existing = {s.urn: s for s in session.exec(select(School).where(School.urn.in_(urns)))} if urns else {}
    phones = get_school_phones(session, list(existing))
    new_phones = []
    for record in records:
        school = existing.get(record.urn)
        if school is None and not record.is_open:
            counts.skipped += 1
        elif school is None:
            session.add(School(urn=record.urn, name=record.name, la_code=record.la_code, phase=record.phase,
                               postcode=record.postcode, pupils=record.pupils, updated_at=now))
            if record.phone:
                new_phones.append(SchoolPhone(urn=record.urn, number=record.phone, label=SWITCHBOARD))
            counts.added += 1
        else:
            changed = _apply(school, record) if record.is_open else False
            if record.has_phone or not record.is_open:
                wanted = record.phone if record.is_open else None
                changed = _sync_switchboard(session, school.urn, phones.get(school.urn, []), wanted) or changed
            if changed:
                school.updated_at = now
                counts.updated += 1
            else:
                counts.unchanged += 1
    # Schools first: their numbers refer to them, and there is no ORM relationship to order the inserts.
    session.flush()
    session.add_all(new_phones)
    session.flush()
    return counts
