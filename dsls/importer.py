"""Read the DSL register's CSV (URN, DSL name, phone numbers, DSL training date), row by row, as pure functions."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from db.dsls import DslRecord
from routing.identify import parse_urn
from routing.phone import normalise_number

# Each field's accepted headings, matched whatever their case or surrounding spaces.
HEADINGS = {
    "urn": ("urn",),
    "name": ("dsl name", "name"),
    "numbers": ("phone numbers", "phone number", "phone", "numbers"),
    "trained_on": ("dsl training date", "date of dsl training", "trained on", "training date"),
}
REQUIRED = ("urn", "name")
MAX_NAME = 100
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


class DslFormatError(ValueError):
    """The file cannot be read as the DSL register; nothing was imported."""


@dataclass(frozen=True)
class Rejected:
    """A row that was not imported, and why."""

    row: int
    reason: str


@dataclass
class DslReport:
    """What an import did: counts and rejected rows."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def problem_lines(self) -> list[str]:
        """One line for each rejected row, in file order."""
        return [f"row {r.row}: rejected: {r.reason}" for r in sorted(self.rejected, key=lambda r: r.row)]

    def summary(self) -> str:
        """The counts on one line."""
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.rejected)} rejected")


def map_columns(header: list[str]) -> dict[str, int]:
    """Where each field sits; a file without a URN or a name column is not the register."""
    positions = {h.strip().lower(): i for i, h in reversed(list(enumerate(header)))}
    columns = {}
    for key, names in HEADINGS.items():
        found = [positions[name] for name in names if name in positions]
        if found:
            columns[key] = found[0]
    missing = [{"urn": "URN", "name": "DSL name"}[key] for key in REQUIRED if key not in columns]
    if missing:
        raise DslFormatError(f"no {', '.join(missing)} column; expected URN, DSL name, phone numbers, "
                             f"DSL training date")
    return columns


def parse_date(raw: str) -> date | None:
    """An ISO date or a UK one (31/01/2026), or None if it is neither."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def parse_row(cells: list[str], columns: dict[str, int], row: int, today: date) -> DslRecord | Rejected:
    """Check and normalise one row; any bad value rejects the whole row, so nothing half-imports."""
    def cell(key: str) -> str:
        at = columns.get(key)
        return cells[at].replace("\x00", "").strip() if at is not None and at < len(cells) else ""

    urn = parse_urn(cell("urn"))
    if urn is None:
        return Rejected(row, f"URN {cell('urn')!r} is not a 6-digit number" if cell("urn") else "URN is missing")
    name = " ".join(cell("name").split())
    if not name:
        return Rejected(row, f"URN {urn}: DSL name is missing")
    if len(name) > MAX_NAME:
        return Rejected(row, f"URN {urn}: DSL name is longer than {MAX_NAME} characters")
    numbers = []
    for raw in filter(None, (part.strip() for part in cell("numbers").split(";"))):
        number = normalise_number(raw)
        if number is None:
            return Rejected(row, f"URN {urn}, {name}: {raw!r} is not a valid UK phone number")
        if number not in numbers:
            numbers.append(number)
    trained_on = None
    if cell("trained_on"):
        trained_on = parse_date(cell("trained_on"))
        if trained_on is None:
            return Rejected(row, f"URN {urn}, {name}: training date {cell('trained_on')!r} is not a date "
                                 f"(use 2026-01-31 or 31/01/2026)")
        if trained_on > today:
            return Rejected(row, f"URN {urn}, {name}: training date {trained_on.isoformat()} is in the future")
    return DslRecord(row=row, urn=urn, name=name, numbers=tuple(numbers), trained_on=trained_on)


def read_dsls(path: Path, today: date) -> Iterator[DslRecord | Rejected]:
    """Stream the file's rows as records and rejections; a DSL named twice for one school is rejected again."""
    first_row: dict[tuple[int, str], int] = {}
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise DslFormatError("the file is empty")
        columns = map_columns(header)
        for row, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue  # a blank line
            parsed = parse_row(cells, columns, row, today)
            if isinstance(parsed, DslRecord):
                key = (parsed.urn, parsed.name.casefold())
                if key in first_row:
                    yield Rejected(row, f"URN {parsed.urn}, {parsed.name} appears again "
                                        f"(first at row {first_row[key]})")
                    continue
                first_row[key] = row
            yield parsed
