"""Charts as inline SVG drawn on the server: no JavaScript; each sits beside a table of the same figures."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from markupsafe import Markup, escape

BLUE = "#1d70b8"
DARK = "#0b0c0c"
GREY = "#505a5f"
LIGHT = "#f3f2f1"
FONT = 'font-family="Arial, sans-serif" font-size="13"'


def _svg(chart_id: str, title: str, width: int, height: int, body: list[str]) -> Markup:
    """Wrap shapes in an accessible <svg>: its title names it, its description points to the table."""
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">Chart. The same figures are in the table beside it.</desc>'
        + "".join(body) + "</svg>")


def bar_chart(chart_id: str, title: str, items: list[tuple[str, float, str]], label_width: int = 200) -> Markup:
    """Horizontal bars, one per (label, value, value as text)."""
    row, bar_area, width = 28, 260, label_width + 260 + 90
    top = max((value for _, value, _ in items), default=0) or 1
    body = []
    for index, (label, value, text) in enumerate(items):
        y = index * row
        length = round(bar_area * value / top, 1)
        body.append(
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end" fill="{DARK}" {FONT}>{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 5}" width="{length}" height="18" fill="{BLUE}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 18}" fill="{DARK}" {FONT}>{escape(text)}</text>')
    if not items:
        body.append(f'<text x="10" y="20" fill="{GREY}" {FONT}>No calls in this period.</text>')
    return _svg(chart_id, title, width, max(len(items), 1) * row + 6, body)


def share_chart(chart_id: str, title: str, items: list[tuple[str, float, str]], target: float | None,
                label_width: int = 200) -> Markup:
    """Horizontal bars of shares on a 0-100% scale, one per (label, share, text), with the target as a line."""
    row, bar_area, top_margin = 28, 260, 20
    height = top_margin + max(len(items), 1) * row + 6
    body = [f'<line x1="{label_width}" y1="{top_margin}" x2="{label_width}" y2="{height}" stroke="{GREY}"/>']
    for index, (label, share, text) in enumerate(items):
        y = top_margin + index * row
        length = round(bar_area * share, 1)
        body.append(
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end" fill="{DARK}" {FONT}>{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 5}" width="{length}" height="18" fill="{BLUE}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 18}" fill="{DARK}" {FONT}>{escape(text)}</text>')
    if not items:
        body.append(f'<text x="{label_width + 10}" y="{top_margin + 18}" fill="{GREY}" {FONT}>'
                    'None in this period.</text>')
    if target is not None:
        x = round(label_width + bar_area * target, 1)
        body.append(f'<line class="chart__target" x1="{x}" y1="{top_margin - 4}" x2="{x}" y2="{height}" '
                    f'stroke="{DARK}" stroke-width="2" stroke-dasharray="4 3"/>'
                    f'<text x="{x}" y="{top_margin - 8}" text-anchor="middle" fill="{DARK}" {FONT}>'
                    f'Target {target:.0%}</text>')
    return _svg(chart_id, title, label_width + bar_area + 110, height, body)


def column_chart(chart_id: str, title: str, items: list[tuple[str, float]], label_every: int = 7) -> Markup:
    """Vertical columns over time, one per (label, value); every `label_every`-th label is written."""
    left, height, plot = 44, 220, 180
    step = max(6.0, min(28.0, 640 / max(len(items), 1)))
    width = int(left + step * len(items) + 10)
    top = max((value for _, value in items), default=0) or 1
    body = [f'<line x1="{left}" y1="{plot}" x2="{width}" y2="{plot}" stroke="{GREY}"/>',
            f'<text x="{left - 6}" y="14" text-anchor="end" fill="{GREY}" {FONT}>{top:g}</text>',
            f'<text x="{left - 6}" y="{plot}" text-anchor="end" fill="{GREY}" {FONT}>0</text>']
    for index, (label, value) in enumerate(items):
        x = left + index * step
        bar = round((plot - 10) * value / top, 1)
        body.append(f'<rect x="{x + 1:.1f}" y="{plot - bar}" width="{step - 2:.1f}" height="{bar}" fill="{BLUE}">'
                    f'<title>{escape(label)}: {value:g}</title></rect>')
        if index % label_every == 0:
            body.append(f'<text x="{x:.1f}" y="{plot + 18}" fill="{DARK}" {FONT}>{escape(label)}</text>')
    return _svg(chart_id, title, max(width, 200), height, body)


def heatmap(chart_id: str, title: str, rows: list[str], grid: list[list[int]]) -> Markup:
    """A grid of shaded cells (rows by 24 hours): darker means more calls."""
    left, cell, top_margin = 90, 22, 20
    top = max((value for line in grid for value in line), default=0) or 1
    body = [f'<text x="{left + hour * cell + 2}" y="14" fill="{GREY}" {FONT}>{hour:02d}</text>'
            for hour in range(0, 24, 3)]
    for r, (name, line) in enumerate(zip(rows, grid)):
        y = top_margin + r * cell
        body.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" fill="{DARK}" {FONT}>{escape(name)}</text>')
        for hour, value in enumerate(line):
            shade = f'fill="{BLUE}" fill-opacity="{0.12 + 0.88 * value / top:.2f}"' if value else f'fill="{LIGHT}"'
            body.append(f'<rect x="{left + hour * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" {shade}>'
                        f'<title>{escape(name)} {hour:02d}:00: {value} calls</title></rect>')
    return _svg(chart_id, title, left + 24 * cell + 4, top_margin + len(rows) * cell + 4, body)


# A table row as a chart point, by kind: bars (label, value, value as text), shares (label, share 0..1, text),
# columns (label, value), heatmap (row name, that row's values).
DEFAULT_POINTS = {
    "bar": lambda row: (row[0], row[1], str(row[1])),
    "share": lambda row: (row[0], row[-1], f"{row[-1]:.0%}"),
    "columns": lambda row: (row[0], row[1]),
    "heatmap": lambda row: (row[0], list(row[1:])),
}


@dataclass(frozen=True)
class Chart:
    """How a figure's table is drawn: its kind, and each table row as a point (None leaves the row out)."""

    kind: str  # bar or share (beside its table), columns or heatmap (wide, above its table)
    point: Callable[[list], tuple | None] | None = None  # None: DEFAULT_POINTS[kind]
    title: str | None = None  # None: the figure's label
    id: str | None = None  # None: chart-<figure key>
    label_width: int = 200  # bars and shares: room for the longest label
    target: Callable[[list], float | None] | None = None  # shares only: the target line, from the table's rows

    def __post_init__(self):
        if self.kind not in DEFAULT_POINTS:
            raise ValueError(f"a chart is one of {', '.join(DEFAULT_POINTS)}, not {self.kind!r}")

    @property
    def wide(self) -> bool:
        return self.kind not in ("bar", "share")

    def draw(self, key: str, label: str, rows: list[list]) -> Markup:
        """The chart of these table rows as inline SVG."""
        point = self.point or DEFAULT_POINTS[self.kind]
        points = [p for p in map(point, rows) if p is not None]
        chart_id, title = self.id or f"chart-{key}", self.title or label
        if self.kind == "bar":
            return bar_chart(chart_id, title, points, self.label_width)
        if self.kind == "share":
            return share_chart(chart_id, title, points, self.target(rows) if self.target else None, self.label_width)
        if self.kind == "columns":
            return column_chart(chart_id, title, points)
        return heatmap(chart_id, title, [name for name, _ in points], [line for _, line in points])
