"""The schools register: import from GIAS and the phone numbers that identify callers."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from db.schools import save_school_batch
from schools.importer import (Dropped, GiasFormatError, ImportReport, Rejected, SchoolRecord, Skipped, detect_encoding,
                              read_gias)

__all__ = ["DEMO_SCHOOLS_CSV", "GiasFormatError", "ImportReport", "import_schools"]

# The shared Warwickshire extract shipped as demo data (Open Government Licence, see data/README.md).
DEMO_SCHOOLS_CSV = Path(__file__).resolve().parent.parent / "data" / "warwickshire_schools.csv"
BATCH_SIZE = 500


def import_schools(session: Session, path: str | Path, la_code: str | None = None, *, now: datetime,
                   batch_size: int = BATCH_SIZE,
                   progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
    """Upsert a GIAS CSV into the register, committing every batch; running it twice changes nothing."""
    path = Path(path)
    la_code = str(la_code).strip() if la_code is not None else None
    if la_code is not None and not la_code.isdigit():
        raise GiasFormatError(f"LA code {la_code!r} is not a number (Warwickshire is 937)")
    report = ImportReport(encoding=detect_encoding(path), la_code=la_code)
    batch: list[SchoolRecord] = []
    for item in read_gias(path, la_code, report.encoding):
        if isinstance(item, Skipped):
            report.skipped += 1
        elif isinstance(item, Rejected):
            report.rejected.append(item)
        else:
            report.dropped.extend(Dropped(item.row, item.urn, note) for note in item.notes)
            batch.append(item)
            if len(batch) >= batch_size:
                _save(session, batch, report, progress, now)
                batch = []
    _save(session, batch, report, progress, now)
    return report


def _save(session: Session, batch: list[SchoolRecord], report: ImportReport, progress, now: datetime) -> None:
    """Write one batch and commit it, so a national file never sits in one huge transaction."""
    if not batch:
        return
    counts = save_school_batch(session, batch, now)
    session.commit()
    report.added += counts.added
    report.updated += counts.updated
    report.unchanged += counts.unchanged
    report.skipped += counts.skipped
    if progress is not None:
        progress(report)
