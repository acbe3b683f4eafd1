"""The DSL register: each school's Designated Safeguarding Leads, their numbers and DSL training."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from db.dsls import get_known_urns, save_dsl
from dsls.importer import DslFormatError, DslReport, Rejected, read_dsls
from routing.hours import london_date

__all__ = ["DEMO_DSLS_CSV", "DslFormatError", "DslReport", "import_dsls"]

# Made-up DSLs at some of the shipped Warwickshire schools, for the quick start (Ofcom's drama numbers).
DEMO_DSLS_CSV = Path(__file__).resolve().parent.parent / "data" / "demo_dsls.csv"


def import_dsls(session: Session, path: str | Path, *, now: datetime) -> DslReport:
    """Upsert the DSL register's CSV in one transaction; running it twice changes nothing."""
    items = list(read_dsls(Path(path), london_date(now)))
    report = DslReport(rejected=[item for item in items if isinstance(item, Rejected)])
    records = [item for item in items if not isinstance(item, Rejected)]
    known = get_known_urns(session, [r.urn for r in records])
    for record in records:
        if record.urn not in known:
            report.rejected.append(Rejected(record.row, f"URN {record.urn} is not in the schools register "
                                                        f"(import the schools first)"))
            continue
        outcome = save_dsl(session, record, now)
        setattr(report, outcome, getattr(report, outcome) + 1)
    session.commit()
    return report
