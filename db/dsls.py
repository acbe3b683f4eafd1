"""Query functions for the DSL register: each school's DSLs, their numbers and their DSL training."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Integer, bindparam, cast, null, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from db.models import Call, Dsl, DslPhone, School, SchoolPhone

IMPORTED = "import"
BY_HAND = "hand"


@dataclass(frozen=True)
class DslRecord:
    """One DSL read from the register's file, checked and normalised."""

    row: int
    urn: int
    name: str
    numbers: tuple[str, ...]  # E.164
    trained_on: date | None


# Built once, and one statement: caller identification runs on every new call, against both registers.
MATCHES_BY_NUMBER = union_all(
    sa_select(SchoolPhone.urn, cast(null(), Integer).label("dsl_id")).where(SchoolPhone.number == bindparam("number")),
    sa_select(Dsl.urn, Dsl.id.label("dsl_id")).join(DslPhone, DslPhone.dsl_id == Dsl.id)
    .where(DslPhone.number == bindparam("number")),
)


def get_caller_matches(session: Session, e164: str) -> tuple[list[int], list[tuple[int, int]]]:
    """The URNs of the schools with this number, and the (DSL id, URN) of the DSLs with it."""
    schools, people = [], []
    for urn, dsl_id in session.connection().execute(MATCHES_BY_NUMBER, {"number": e164}):
        if dsl_id is None:
            schools.append(urn)
        else:
            people.append((dsl_id, urn))
    return sorted(schools), sorted(people)


def _same_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def find_dsl(session: Session, urn: int, name: str) -> Dsl | None:
    """The school's DSL of this name, whatever its case or spacing."""
    # Compared in Python: SQLite's lower() folds only ASCII, so "ÉLODIE" would not find "Élodie" there.
    wanted = _same_name(name)
    return next((d for d in session.exec(select(Dsl).where(Dsl.urn == urn)) if _same_name(d.name) == wanted), None)


def get_dsls(session: Session, urn: int | None = None) -> list[Dsl]:
    """Registered DSLs by school and name, optionally of one school."""
    query = select(Dsl).order_by(Dsl.urn, Dsl.name)
    if urn is not None:
        query = query.where(Dsl.urn == urn)
    return list(session.exec(query))


def get_dsl_phones(session: Session, dsl_ids: Sequence[int]) -> dict[int, list[DslPhone]]:
    """The numbers of each of these DSLs."""
    phones: dict[int, list[DslPhone]] = defaultdict(list)
    if dsl_ids:
        query = select(DslPhone).where(DslPhone.dsl_id.in_(list(dsl_ids))).order_by(DslPhone.id)
        for phone in session.exec(query):
            phones[phone.dsl_id].append(phone)
    return phones


def get_dsls_by_number(session: Session, e164: str) -> list[Dsl]:
    """Every DSL who has this E.164 number (a shared office line may belong to several)."""
    query = (select(Dsl).join(DslPhone, DslPhone.dsl_id == Dsl.id)
             .where(DslPhone.number == e164).order_by(Dsl.urn, Dsl.name))
    return list(session.exec(query))


def get_known_urns(session: Session, urns: Sequence[int]) -> set[int]:
    """Which of these URNs the schools register holds."""
    if not urns:
        return set()
    return set(session.exec(select(School.urn).where(School.urn.in_(list(set(urns))))))


def save_dsl_phone(session: Session, dsl_id: int, number: str) -> bool:
    """Register a number for a DSL by hand; False when it was already there (it is then kept by re-imports)."""
    existing = session.exec(select(DslPhone).where(DslPhone.dsl_id == dsl_id, DslPhone.number == number)).first()
    if existing is not None:
        existing.source = BY_HAND
        return False
    session.add(DslPhone(dsl_id=dsl_id, number=number, source=BY_HAND))
    return True


def delete_dsl_phone(session: Session, dsl_id: int, number: str) -> bool:
    """Remove a number from a DSL; False when the DSL did not have it."""
    existing = session.exec(select(DslPhone).where(DslPhone.dsl_id == dsl_id, DslPhone.number == number)).first()
    if existing is None:
        return False
    session.delete(existing)
    return True


def _sync_numbers(session: Session, dsl_id: int, phones: list[DslPhone], wanted: tuple[str, ...]) -> bool:
    """Make the DSL's imported numbers the file's, keeping numbers added by hand; True if anything changed."""
    changed = False
    for phone in phones:
        if phone.source == IMPORTED and phone.number not in wanted:
            session.delete(phone)
            changed = True
    have = {phone.number for phone in phones}
    for number in wanted:
        if number not in have:
            session.add(DslPhone(dsl_id=dsl_id, number=number, source=IMPORTED))
            changed = True
    return changed


def delete_dsl(session: Session, dsl: Dsl) -> bool:
    """Take a DSL off the register: their numbers go; the record goes too unless calls were put down to them
    (then it stays, without numbers, for those calls). True if the record went."""
    for phone in get_dsl_phones(session, [dsl.id]).get(dsl.id, []):
        session.delete(phone)
    if session.exec(select(Call.id).where(Call.dsl_id == dsl.id).limit(1)).first() is not None:
        return False
    session.delete(dsl)
    return True


def save_dsl(session: Session, record: DslRecord, now: datetime) -> str:
    """Upsert one DSL by school and name: "added", "updated" or "unchanged"."""
    dsl = find_dsl(session, record.urn, record.name)
    if dsl is None:
        dsl = Dsl(urn=record.urn, name=record.name, trained_on=record.trained_on, updated_at=now)
        session.add(dsl)
        session.flush()  # its id, for its numbers
        _sync_numbers(session, dsl.id, [], record.numbers)
        session.flush()
        return "added"
    changed = dsl.trained_on != record.trained_on or dsl.name != record.name
    dsl.trained_on, dsl.name = record.trained_on, record.name
    phones = get_dsl_phones(session, [dsl.id]).get(dsl.id, [])
    changed = _sync_numbers(session, dsl.id, phones, record.numbers) or changed
    if changed:
        dsl.updated_at = now
    session.flush()
    return "updated" if changed else "unchanged"
