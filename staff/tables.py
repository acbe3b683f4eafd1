"""A dashboard table, and its cells as written to CSV (staff.filters.cell_text shows them on the page)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    """A titled table; each column is (heading, kind) with kind int, pct, seconds, ratio, gbp or text."""

    name: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[list] = field(default_factory=list)


def cell_value(value, kind: str):
    """A cell as written to CSV: numbers stay numbers (shares as percentages to 0.1)."""
    if value is None:
        return ""
    if kind == "pct":
        return round(value * 100, 1)
    if kind in ("ratio", "gbp"):
        return round(value, 2)
    return value
