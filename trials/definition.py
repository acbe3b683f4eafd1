"""Trial definitions: parse and check a trial of menu wordings (pure; YAML or form data)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import yaml

from routing.hours import LONDON, london_moment
from routing.menu import VARIABLE_FIELDS, Wording, make_wording
from routing.menu_rules import check_sentence, check_silent_caller

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
TOP_LEVEL_KEYS = {"name", "control", "start", "end", "allocation", "variants", "unit"}
UNITS = ("caller", "school")  # what is allocated to a variant: each caller, or each school (its callers alike)


class TrialDefinitionError(ValueError):
    """A trial definition is wrong; each message names the field."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class TrialDefinition:
    """A checked trial: variant overrides, normalised shares and a UTC window [starts_at, ends_at)."""

    name: str
    variants: dict[str, dict[str, str]]
    allocation: dict[str, float]
    control: str
    starts_at: datetime
    ends_at: datetime
    unit: str = "caller"

    def wording(self, variant: str) -> Wording:
        """The full menu wording of one variant."""
        return make_wording(self.variants[variant])


def _parse_variants(raw, errors: list[str]) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict) or len(raw) < 2:
        errors.append("variants: give two or more variants, each a mapping of the sentences it changes")
        return {}
    variants: dict[str, dict[str, str]] = {}
    for name, fields in raw.items():
        name = str(name)
        where = f"variants.{name}"
        if not NAME_PATTERN.match(name):
            errors.append(f"{where}: a variant name is letters, digits, - and _ (up to 64)")
        fields = {} if fields is None else fields
        if not isinstance(fields, dict):
            errors.append(f"{where}: must be a mapping of sentences ({', '.join(VARIABLE_FIELDS)}), or {{}}")
            continue
        overrides = {}
        for field, text in fields.items():
            field = str(field)
            if field not in VARIABLE_FIELDS:
                errors.append(f"{where}.{field}: only {', '.join(VARIABLE_FIELDS)} may change; "
                              "the 999 line, option 1 and the keys never change")
                continue
            if not isinstance(text, str):
                errors.append(f"{where}.{field}: must be text")
                continue
            problem = check_sentence(field, text)
            if problem:
                errors.append(f"{where}.{field}: {problem}")
            overrides[field] = " ".join(text.split())
        try:
            make_wording(overrides)  # the menu's own guard: refuses anything but the variable fields
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
        variants[name] = overrides
    if errors:
        return variants  # the sentences themselves are wrong: comparing wordings would only add noise
    for name, overrides in variants.items():
        problem = check_silent_caller(make_wording(overrides))
        if problem:
            errors.append(f"variants.{name}: {problem}")
    wordings = {}
    for name, overrides in variants.items():
        wordings.setdefault(tuple(sorted(overrides.items())), []).append(name)
    for names in wordings.values():
        if len(names) > 1:
            errors.append(f"variants: {' and '.join(names)} have the same wording; a trial compares different ones")
    return variants


def _parse_allocation(raw, variants: dict, errors: list[str]) -> dict[str, float]:
    if not variants:
        return {}  # the variants are wrong already; shares of nothing would only add noise
    if raw is None:
        return {name: 1 / len(variants) for name in variants}
    if not isinstance(raw, dict):
        errors.append("allocation: must map each variant to its share, e.g. {control: 50, other: 50}")
        return {}
    shares = {}
    for name, share in raw.items():
        name = str(name)
        if name not in variants:
            errors.append(f"allocation.{name}: no variant of that name")
            continue
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not share > 0 or share == float("inf"):
            errors.append(f"allocation.{name}: must be a positive number, got {share!r}")
            continue
        shares[name] = float(share)
    missing = [name for name in variants if name not in raw]
    if missing:
        errors.append(f"allocation: give a share for every variant (missing {', '.join(missing)})")
    total = sum(shares.values())
    return {name: shares[name] / total for name in variants if name in shares} if total else {}


def _parse_unit(raw, errors: list[str]) -> str:
    if raw is None or raw == "":
        return "caller"
    if raw not in UNITS:
        errors.append(f"unit: must be caller or school, got {raw!r}")
        return "caller"
    return raw


def parse_when(raw, field: str, is_end: bool, errors: list[str]) -> datetime | None:
    """A date (a whole day in London; an end date is inclusive) or a date and time, as aware UTC."""
    if raw is None:
        errors.append(f"{field}: missing; give a date (YYYY-MM-DD)")
        return None
    try:
        return london_moment(raw, is_end)
    except ValueError:
        errors.append(f"{field}: {raw!r} is not a date (YYYY-MM-DD) or date and time (YYYY-MM-DD HH:MM)")
        return None


def parse_definition(data) -> TrialDefinition:
    """Check a trial given as a mapping (from YAML or the form); raise TrialDefinitionError naming each field."""
    if not isinstance(data, dict):
        raise TrialDefinitionError(["the trial must be a mapping with name, variants, allocation, start, end"])
    errors: list[str] = []
    unknown = sorted(str(k) for k in set(data) - TOP_LEVEL_KEYS)
    if unknown:
        errors.append(f"{', '.join(unknown)}: not a trial field (use {', '.join(sorted(TOP_LEVEL_KEYS))})")
    name = str(data.get("name") or "").strip()
    if not NAME_PATTERN.match(name):
        errors.append("name: give a name of letters, digits, - and _ (up to 64), e.g. intrinsic-motivation")
    variants = _parse_variants(data.get("variants"), errors)
    allocation = _parse_allocation(data.get("allocation"), variants, errors)
    control = str(data.get("control") or "control")
    if variants and control not in variants:
        errors.append(f"control: {control!r} is not one of the variants ({', '.join(variants)})")
    unit = _parse_unit(data.get("unit"), errors)
    starts_at = parse_when(data.get("start"), "start", False, errors)
    ends_at = parse_when(data.get("end"), "end", True, errors)
    if starts_at and ends_at and ends_at <= starts_at:
        errors.append("end: must be after start")
    if errors:
        raise TrialDefinitionError(errors)
    return TrialDefinition(name, variants, allocation, control, starts_at, ends_at, unit)


def load_definition_text(text: str) -> TrialDefinition:
    """Parse a trial from YAML text; a YAML syntax error names its line."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        raise TrialDefinitionError([f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})"]) from None
    return parse_definition(data)


def _london(when: datetime) -> str:
    return when.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def effective_end(trial) -> datetime:
    """When a trial stops playing: its end, or earlier if it was stopped."""
    return min(trial.ends_at, trial.stopped_at) if trial.stopped_at else trial.ends_at


def check_schedule(definition: TrialDefinition, existing: list, now: datetime) -> None:
    """Refuse a trial already over, a name in use, or one that overlaps another (one trial at a time)."""
    errors = []
    if definition.ends_at <= now:
        errors.append("end: the trial would already be over")
    for other in existing:
        if other.name == definition.name:
            errors.append(f"name: a trial called {definition.name!r} already exists")
        # A trial stopped before it started never plays, so it blocks nothing.
        elif definition.starts_at < effective_end(other) and other.starts_at < definition.ends_at \
                and other.starts_at < effective_end(other):
            errors.append(f"start: overlaps trial {other.name!r} ({_london(other.starts_at)} to "
                          f"{_london(effective_end(other))}); only one trial runs at a time")
    if errors:
        raise TrialDefinitionError(errors)
