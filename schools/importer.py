"""Read the DfE "Get Information about Schools" (GIAS) CSV, row by row, as pure functions."""
from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from db.schools import SchoolRecord
from routing.identify import parse_urn
from routing.phone import normalise_number

# GIAS column headings we read; every other column of the national download is ignored.
COLUMNS = {
    "urn": "URN",
    "name": "EstablishmentName",
    "la_code": "LA (code)",
    "status": "EstablishmentStatus (name)",
    "phase": "PhaseOfEducation (name)",
    "postcode": "Postcode",
    "pupils": "NumberOfPupils",
    "e164": "TelephoneE164",
    "phone": "TelephoneNum",
}
REQUIRED = ("urn", "name")
CLOSED = "closed"
CHUNK = 1 << 20
MAX_PUPILS = 100_000


class GiasFormatError(ValueError):
    """The file cannot be read as a GIAS CSV; nothing was imported."""


@dataclass(frozen=True)
class Rejected:
    """A row that was not imported, and why."""

    row: int
    reason: str


@dataclass(frozen=True)
class Dropped:
    """A value left out of a school that was kept (a bad phone number or pupil count)."""

    row: int
    urn: int
    note: str


@dataclass(frozen=True)
class Skipped:
    """A row outside the chosen local authority."""

    row: int


@dataclass
class ImportReport:
    """What an import did: counts, rejected rows and values dropped from kept schools."""

    encoding: str
    la_code: str | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # other local authorities, and closed schools the register never had
    rejected: list[Rejected] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)

    def problem_lines(self) -> list[str]:
        """One line for each rejected row and each dropped value, in file order."""
        lines = [(r.row, f"row {r.row}: rejected: {r.reason}") for r in self.rejected]
        lines += [(d.row, f"row {d.row} (URN {d.urn}): {d.note}") for d in self.dropped]
        return [text for _, text in sorted(lines, key=lambda line: line[0])]

    def summary(self) -> str:
        """The counts on one line."""
        text = (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.rejected)} rejected")
        if self.skipped:
            where = f", or outside LA {self.la_code}" if self.la_code else ""
            text += f" ({self.skipped} skipped: closed{where})"
        return text


def detect_encoding(path: Path) -> str:
    """utf-8-sig with a byte-order mark, utf-8 when every byte decodes, else Windows-1252 (as DfE serves it)."""
    with open(path, "rb") as f:
        if f.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
            return "utf-8-sig"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def map_columns(header: list[str], la_code: str | None = None) -> dict[str, int]:
    """Where each column we read sits; headings match whatever their case or surrounding spaces."""
    positions = {h.strip().lower(): i for i, h in reversed(list(enumerate(header)))}
    columns = {key: positions[name.lower()] for key, name in COLUMNS.items() if name.lower() in positions}
    missing = [COLUMNS[key] for key in REQUIRED if key not in columns]
    if la_code and "la_code" not in columns:
        missing.append(COLUMNS["la_code"])
    if missing:
        raise GiasFormatError(f"no {', '.join(missing)} column; is this a GIAS CSV?")
    return columns


def _cell(cells: list[str], columns: dict[str, int], key: str) -> str | None:
    # PostgreSQL refuses NUL characters in text, and a stray one must not stop a national import.
    value = cells[columns[key]].replace("\x00", "").strip() if key in columns else ""
    return value or None


def _phone(cells: list[str], columns: dict[str, int]) -> tuple[str | None, str | None]:
    """The school's number in E.164 (TelephoneE164 first, else TelephoneNum), or the raw value that failed."""
    candidates = [c for c in (_cell(cells, columns, "e164"), _cell(cells, columns, "phone")) if c]
    for candidate in candidates:
        number = normalise_number(candidate)
        if number:
            return number, None
    return None, candidates[0] if candidates else None


def _pupils(raw: str | None) -> tuple[int | None, str | None]:
    """The pupil count, or the note saying why it was left blank."""
    if raw is None:
        return None, None
    if raw.isascii() and raw.isdigit() and int(raw) <= MAX_PUPILS:
        return int(raw), None
    return None, f"NumberOfPupils {raw!r} is not a number of pupils; left blank"


def parse_row(cells: list[str], columns: dict[str, int], width: int, row: int) -> SchoolRecord | Rejected:
    """Check and normalise one data row; a bad phone number or pupil count drops the value, not the school."""
    if len(cells) != width:
        return Rejected(row, f"has {len(cells)} fields, expected {width} (a broken or cut line?)")
    raw_urn = _cell(cells, columns, "urn")
    if raw_urn is None:
        return Rejected(row, "URN is missing")
    urn = parse_urn(raw_urn)
    if urn is None:
        return Rejected(row, f"URN {raw_urn!r} is not a 6-digit number")
    name = _cell(cells, columns, "name")
    if name is None:
        return Rejected(row, f"URN {urn}: EstablishmentName is missing")
    notes = []
    phone, bad_phone = _phone(cells, columns)
    if bad_phone:
        notes.append(f"phone number {bad_phone!r} is not a valid UK number; school kept without it")
    pupils, pupils_note = _pupils(_cell(cells, columns, "pupils"))
    if pupils_note:
        notes.append(pupils_note)
    postcode = _cell(cells, columns, "postcode")
    return SchoolRecord(
        row=row, urn=urn, name=name, la_code=_cell(cells, columns, "la_code"),
        phase=_cell(cells, columns, "phase"), postcode=postcode.upper() if postcode else None,
        pupils=pupils, has_pupils="pupils" in columns, phone=phone,
        has_phone="e164" in columns or "phone" in columns,
        is_open=(_cell(cells, columns, "status") or "").lower() != CLOSED,
        notes=tuple(notes),
    )


def _rows(reader) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Data rows numbered as a spreadsheet shows them (the heading is row 1); a CSV error is passed on."""
    row = 1
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            cells = exc
        yield row, cells


def read_gias(path: Path, la_code: str | None = None,
              encoding: str | None = None) -> Iterator[SchoolRecord | Rejected | Skipped]:
    """Stream the file's rows as records, rejections and rows skipped for another local authority."""
    encoding = encoding or detect_encoding(path)
    first_row: dict[int, int] = {}
    # Windows-1252 leaves five bytes undefined: replace them rather than abandon a national file.
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise GiasFormatError("the file is empty")
        columns = map_columns(header, la_code)
        for row, cells in _rows(reader):
            if isinstance(cells, csv.Error):
                yield Rejected(row, f"cannot be read as CSV ({cells})")
                continue
            if not cells:
                continue  # a blank line
            if la_code and len(cells) == len(header) and _cell(cells, columns, "la_code") != la_code:
                yield Skipped(row)  # before any checks: another authority's odd rows are not ours to report
                continue
            parsed = parse_row(cells, columns, len(header), row)
            if isinstance(parsed, SchoolRecord):
                if parsed.urn in first_row:
                    yield Rejected(row, f"URN {parsed.urn} appears again (first at row {first_row[parsed.urn]})")
                    continue
                first_row[parsed.urn] = row
            yield parsed
