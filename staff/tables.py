"""A dashboard table and its cells: shown on the page and written to CSV from the same values."""
from __future__ import annotations

from dataclasses import dataclass, field

from staff.filters import duration, percent


@dataclass
class Table:
    """A titled table; each column is (heading, kind) with kind int, pct, seconds or text."""

    name: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[list] = field(default_factory=list)


def cell_text(value, kind: str) -> str:
    """A cell as shown on the page."""
    if value is None:
        return "–"
    if kind == "pct":
        return percent(value)
    if kind == "seconds":
        return duration(value)
    if kind == "int":
        return f"{int(value):,}"
    return str(value)


def cell_value(value, kind: str):
    """A cell as written to CSV: numbers stay numbers (shares as percentages to 0.1)."""
    if value is None:
        return ""
    if kind == "pct":
        return round(value * 100, 1)
    return value
