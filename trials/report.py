"""The results table in words and figures people read: shares as percentages, p-values as the report wrote them."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from db.trials import get_trial_calls
from routing.hours import LONDON
from trials.analysis import DEFAULT_EFFECT, DEFAULT_EFFECT_SECONDS, ResultRow, TrialResults, analyse
from trials.definition import effective_end

COLUMNS = ("Measure", "Variant", "N", "Share (95% CI)", "Difference vs control", "p-value", "N needed", "Reached")


def results_for(session, trial, effect: float = DEFAULT_EFFECT,
                effect_seconds: float = DEFAULT_EFFECT_SECONDS) -> TrialResults:
    """Analyse a stored trial's calls."""
    return analyse(get_trial_calls(session, trial), list(trial.variants), trial.control, effect, effect_seconds,
                   trial.unit)


def shares_text(trial) -> str:
    """The allocation as people read it: control 50%, norms 50%."""
    return ", ".join(f"{name} {share:.0%}" for name, share in trial.allocation.items())


def trial_status(trial, now: datetime) -> str:
    """scheduled, running, stopped or ended."""
    if trial.stopped_at is not None and trial.stopped_at <= now:
        return "stopped"
    if now < trial.starts_at:
        return "scheduled"
    return "running" if now < effective_end(trial) else "ended"


def date_words(when: datetime | None) -> str:
    """A date as people in Warwickshire read it."""
    return when.astimezone(LONDON).strftime("%-d %b %Y") if when else ""


def last_day(trial) -> str:
    """The last day a trial plays: an end at midnight means the day before was the last."""
    end = effective_end(trial).astimezone(LONDON)
    return date_words(end - timedelta(days=1) if end.time() == time(0) else end)


def p_text(p: float | None) -> str:
    """p < 0.001 below one in a thousand, else three decimals."""
    if p is None:
        return ""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def value_text(row: ResultRow) -> str:
    """The share (or median seconds) with its 95% interval."""
    if row.value is None:
        return "no calls"
    if row.unit == "seconds":
        ci = f" ({row.ci_low:.0f} to {row.ci_high:.0f})" if row.ci_low is not None else ""
        return f"{row.value:.0f} s{ci}"
    return f"{row.value:.1%} ({row.ci_low:.1%} to {row.ci_high:.1%})"


def difference_text(row: ResultRow) -> str:
    """The difference against the control, in percentage points or seconds."""
    if row.difference is None:
        return "control" if row.is_control else ""
    if row.unit == "seconds":
        return f"{row.difference:+.1f} s"
    return f"{row.difference * 100:+.1f} points"


def reached_text(row: ResultRow) -> str:
    """Whether the needed number of calls has been reached."""
    return "" if row.reached is None else ("yes" if row.reached else "not yet")


def table(results: TrialResults) -> list[dict]:
    """The results table as rows of text, keyed by COLUMNS."""
    return [dict(zip(COLUMNS, (
        r.label, r.variant, str(r.n), value_text(r), difference_text(r), p_text(r.p_value),
        "" if r.needed is None else str(r.needed), reached_text(r)))) for r in results.rows]


def _aligned(columns: tuple[str, ...], body: list[dict]) -> str:
    rows = [dict(zip(columns, columns))] + body
    widths = {c: max(len(r[c]) for r in rows) for c in columns}
    return "\n".join("  ".join(r[c].ljust(widths[c]) for c in columns).rstrip() for r in rows)


def plain_text(results: TrialResults) -> str:
    """The table for a terminal; a school trial's clustered table and per-school rates follow it."""
    text = _aligned(COLUMNS, table(results))
    if results.clusters is not None:
        text += (f"\n\nClustered by school ({results.clusters.method}):\n"
                 f"{_aligned(CLUSTER_COLUMNS, cluster_table(results))}\n\nPer-school rates:\n"
                 f"{_aligned(SCHOOL_COLUMNS, school_table(results))}")
    return text


CLUSTER_COLUMNS = ("Measure", "Variant", "Clusters", "N", "Share (95% cluster CI)", "Design effect",
                   "Difference vs control (95% cluster CI)", "p-value")
SCHOOL_COLUMNS = ("Measure", "School", "Variant", "Calls", "Successes", "Rate")
UNIT_WORDS = {"caller": "each caller", "school": "each school (callers of an unknown school: by caller)"}


def unit_text(trial) -> str:
    """What the trial allocates, as people read it."""
    return UNIT_WORDS.get(trial.unit, trial.unit)


def _share(value, low, high) -> str:
    if value is None:
        return "no calls"
    return f"{value:.1%}" + ("" if low is None else f" ({low:.1%} to {high:.1%})")


def _difference(row) -> str:
    if row.is_control:
        return "control"
    if row.difference is None:
        return ""
    ci = "" if row.diff_low is None else f" ({row.diff_low * 100:+.1f} to {row.diff_high * 100:+.1f})"
    return f"{row.difference * 100:+.1f} points{ci}"


def cluster_table(results: TrialResults) -> list[dict]:
    """A school trial's clustered results as rows of text, keyed by CLUSTER_COLUMNS; none for a caller trial."""
    if results.clusters is None:
        return []
    return [dict(zip(CLUSTER_COLUMNS, (
        r.label, r.variant, str(r.clusters), str(r.n), _share(r.value, r.ci_low, r.ci_high),
        "" if r.design_effect is None else f"{r.design_effect:.2f}", _difference(r), p_text(r.p_value))))
        for r in results.clusters.rows]


def school_table(results: TrialResults) -> list[dict]:
    """Each school's rate per measure and variant, keyed by SCHOOL_COLUMNS; none for a caller trial."""
    if results.clusters is None:
        return []
    labels = {r.measure: r.label for r in results.clusters.rows}
    return [dict(zip(SCHOOL_COLUMNS, (
        labels[s.measure], "not known" if s.urn is None else str(s.urn), s.variant, str(s.calls),
        str(s.successes), "" if s.rate is None else f"{s.rate:.1%}"))) for s in results.clusters.schools]
