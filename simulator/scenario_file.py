"""Scenario files: YAML calls and expectations, checked field by field with the file's line numbers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from db.models import Route, SchoolMatch
from routing.phone import normalise_number
from simulator.caller import TRANSFER_OUTCOMES

HOURS_REQUIREMENTS = ("in_hours", "out_of_hours")
SERVICES = (Route.MASH, Route.DSL_INFOLINE, Route.EARLY_HELP, Route.EDT)
NOBODY = "nobody"
DEFAULT_CALLER = "+441214960100"
_NULL = "tag:yaml.org,2002:null"


class ScenarioFileError(ValueError):
    """A scenario file is malformed; the message names the file, the line and the field."""

    def __init__(self, path: str, line: int, where: str, problem: str):
        super().__init__(f"{path}:{line}: {where}: {problem}")
        self.path, self.line, self.field, self.problem = path, line, where, problem


@dataclass(frozen=True)
class Expect:
    """What a scenario checks; None means 'not checked'."""

    connected_to: tuple[str, ...] | None = None  # services or E.164 numbers; ("nobody",) for no answered transfer
    connected_all: bool = False  # True when a list was given: every transfer, in order
    says: tuple[str, ...] = ()
    not_says: tuple[str, ...] = ()
    hears: tuple[str, ...] = ()  # in this order
    route: str | None = None
    school_urn: int | None = None
    school_match: str | None = None
    fallback: bool = False  # True: the call must need Twilio's Fallback URL; False: it must not


@dataclass(frozen=True)
class Scenario:
    """One simulated call and what must happen in it."""

    name: str
    path: str
    line: int
    caller: str = DEFAULT_CALLER
    presses: tuple[str | None, ...] = ()
    transfers: tuple[str, ...] = ()
    hangup_at: int | None = None
    hang_up_during_transfer: bool = False
    message_s: int = 20
    requires: str | None = None
    expect: Expect = field(default_factory=Expect)

    @property
    def where(self) -> str:
        """file:line of the scenario, for reports."""
        return f"{self.path}:{self.line}"


class _Reader:
    """Turns YAML nodes into values, raising ScenarioFileError with the node's line."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, node: yaml.Node, where: str, problem: str):
        raise ScenarioFileError(self.path, node.start_mark.line + 1, where, problem)

    def mapping(self, node: yaml.Node, where: str, allowed: tuple[str, ...],
                required: tuple[str, ...] = ()) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, where, f"expected a mapping with keys {', '.join(allowed)}")
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            label = f"{where}.{name}" if where else str(name)
            if name not in allowed:
                self.fail(key, label, f"unknown field (allowed: {', '.join(allowed)})")
            if name in out:
                self.fail(key, label, "given twice")
            out[name] = value
        for name in required:
            if name not in out:
                self.fail(node, f"{where}.{name}" if where else name, "missing (required)")
        return out

    def text(self, node: yaml.Node, where: str) -> str | None:
        # The raw text, so '0123' stays '0123' and '+44...' stays a number, not a YAML integer.
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, where, "expected a single value")
        return None if node.tag == _NULL else node.value

    def texts(self, node: yaml.Node, where: str) -> list[tuple[str | None, yaml.Node]]:
        if isinstance(node, yaml.SequenceNode):
            return [(self.text(item, f"{where}[{i}]"), item) for i, item in enumerate(node.value)]
        return [(self.text(node, where), node)]

    def integer(self, node: yaml.Node, where: str, minimum: int) -> int:
        raw = self.text(node, where)
        if raw is None or not re.fullmatch(r"\d+", raw) or int(raw) < minimum:
            self.fail(node, where, f"{raw!r} is not a whole number of at least {minimum}")
        return int(raw)

    def flag(self, node: yaml.Node, where: str) -> bool:
        raw = self.text(node, where)
        if raw not in ("true", "false"):
            self.fail(node, where, f"{raw!r} is not true or false")
        return raw == "true"

    def choice(self, node: yaml.Node, where: str, options: tuple[str, ...]) -> str:
        raw = self.text(node, where)
        if raw not in options:
            self.fail(node, where, f"{raw!r} is not one of {', '.join(options)}")
        return raw


def _keys(r: _Reader, node, where) -> tuple[str | None, ...]:
    keys = []
    for i, (raw, item) in enumerate(r.texts(node, where)):
        label = f"{where}[{i}]" if isinstance(node, yaml.SequenceNode) else where
        if raw is None or raw.strip().lower() in ("", "silence"):
            keys.append(None)
        elif re.fullmatch(r"[0-9*#]+", raw.strip()):
            keys.append(raw.strip())
        else:
            r.fail(item, label, f"{raw!r} is not keypad keys (0-9, * and #) or 'silence'")
    return tuple(keys)


def _caller(r: _Reader, node, where) -> str:
    raw = r.text(node, where) or ""
    if raw.strip().lower() == "withheld":
        return "withheld"
    number = normalise_number(raw)
    if number is None:
        r.fail(node, where, f"{raw!r} is not a phone number (or 'withheld')")
    return number


def _targets(r: _Reader, node, where) -> tuple[str, ...]:
    targets = []
    for raw, item in r.texts(node, where):
        value = (raw or NOBODY).strip()
        if value.upper() in SERVICES:
            targets.append(value.upper())
        elif value.lower() == NOBODY:
            targets.append(NOBODY)
        elif normalise_number(value):
            targets.append(normalise_number(value))
        else:
            r.fail(item, where, f"{value!r} is not a service ({', '.join(SERVICES)}), a number, or '{NOBODY}'")
    return tuple(targets)


def _expect(r: _Reader, node, where) -> Expect:
    fields = r.mapping(node, where, ("connected_to", "says", "not_says", "hears", "route", "school_urn",
                                     "school_match", "fallback"))
    values: dict = {}
    for name, value in fields.items():
        label = f"{where}.{name}"
        if name == "connected_to":
            values["connected_to"] = _targets(r, value, label)
            values["connected_all"] = isinstance(value, yaml.SequenceNode)
        elif name in ("says", "not_says", "hears"):
            texts = [t for t, _ in r.texts(value, label)]
            if any(not t for t in texts):
                r.fail(value, label, "an empty text matches anything; remove it")
            values[name] = tuple(texts)
        elif name == "route":
            values["route"] = r.choice(value, label, Route.ALL)
        elif name == "school_urn":
            values["school_urn"] = r.integer(value, label, 100000)
        elif name == "fallback":
            values["fallback"] = r.flag(value, label)
        else:
            values["school_match"] = r.choice(value, label, SchoolMatch.ALL)
    return Expect(**values)


CALL_FIELDS: dict[str, Callable] = {
    "name": lambda r, n, w: r.text(n, w) or r.fail(n, w, "must not be empty"),
    "from": _caller,
    "press": _keys,
    "transfer": lambda r, n, w: tuple(
        r.choice(item, w, tuple(TRANSFER_OUTCOMES)) for item in (n.value if isinstance(n, yaml.SequenceNode) else [n])),
    "hangup_at": lambda r, n, w: r.integer(n, w, 1),
    "hang_up_during_transfer": lambda r, n, w: r.flag(n, w),
    "message": lambda r, n, w: r.integer(n, w, 0),
    "requires": lambda r, n, w: None if r.text(n, w) in (None, "any") else r.choice(n, w, HOURS_REQUIREMENTS),
    "expect": _expect,
}
ATTRIBUTES = {"from": "caller", "press": "presses", "transfer": "transfers", "message": "message_s",
              "expect": "expect", "name": "name", "hangup_at": "hangup_at", "requires": "requires",
              "hang_up_during_transfer": "hang_up_during_transfer"}


def parse_scenarios(text: str, path: str) -> list[Scenario]:
    """The scenarios in a file's text; any problem raises ScenarioFileError naming file, line and field."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ScenarioFileError(path, (mark.line + 1) if mark else 1, "(YAML syntax)", str(exc.problem)) from None
    finally:
        loader.dispose()
    r = _Reader(path)
    if root is None:
        raise ScenarioFileError(path, 1, "calls", "the file is empty")
    top = r.mapping(root, "", ("defaults", "calls"), required=("calls",))
    defaults = {}
    if "defaults" in top:
        allowed = tuple(k for k in CALL_FIELDS if k not in ("name", "expect"))
        for name, value in r.mapping(top["defaults"], "defaults", allowed).items():
            defaults[ATTRIBUTES[name]] = CALL_FIELDS[name](r, value, f"defaults.{name}")
    calls = top["calls"]
    if not isinstance(calls, yaml.SequenceNode) or not calls.value:
        r.fail(calls, "calls", "expected a list of calls")
    scenarios = []
    for i, node in enumerate(calls.value):
        where = f"calls[{i}]"
        fields = r.mapping(node, where, tuple(CALL_FIELDS), required=("name", "expect"))
        values = dict(defaults)
        for name, value in fields.items():
            values[ATTRIBUTES[name]] = CALL_FIELDS[name](r, value, f"{where}.{name}")
        scenarios.append(Scenario(path=path, line=node.start_mark.line + 1, **values))
    return scenarios


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Read and check one scenario file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(str(path), 1, "(file)", f"cannot be read: {exc}") from None
    return parse_scenarios(text, str(path))
