"""Which school is calling: caller-ID matches and keypad URN entry, decided as pure functions."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from routing import prompts
from routing.menu import MAX_FAILURES, clean_digits
from routing.phone import WITHHELD
from routing.vocabulary import Route, SchoolMatch

URN_LENGTH = 6
# Only the advice routes ask; an urgent caller never hears a single identification question.
ASKING_SERVICES = frozenset({Route.DSL_INFOLINE, Route.EARLY_HELP})
SKIP_KEY = "*"
CONFIRM_KEY = "1"

@dataclass(frozen=True)
class Identification:
    """The school found from the caller ID (if exactly one) and how the search went."""

    urn: int | None
    method: str
    dsl_id: int | None = None  # the DSL, when the number is exactly one DSL's


@dataclass(frozen=True)
class UrnStep:
    """The next identification step: look up, read back, confirm, retry, give up or skip."""

    action: str  # "lookup", "read_back", "confirm", "retry", "give_up", "skip"
    urn: int | None = None
    reason: str | None = None  # a prompts.URN_REPROMPTS key for retries and give-ups


def identify_from_matches(caller: str | None, urns: Iterable[int],
                          dsls: Iterable[tuple[int, int]] = ()) -> Identification:
    """A school only when the caller ID matches exactly one (a DSL's own number gives theirs); otherwise why not."""
    if not caller or caller == WITHHELD:
        return Identification(None, SchoolMatch.WITHHELD)
    people = sorted(set(dsls))
    if len(people) == 1:
        # A number registered to one DSL is theirs, more exactly than a school's switchboard.
        dsl_id, urn = people[0]
        return Identification(urn, SchoolMatch.CALLER_ID, dsl_id)
    unique = sorted(set(urns) or {urn for _, urn in people})
    if len(unique) == 1:
        return Identification(unique[0], SchoolMatch.CALLER_ID)
    return Identification(None, SchoolMatch.AMBIGUOUS if unique else SchoolMatch.UNIDENTIFIED)


def asks_for_urn(service: str, known_urn: int | None) -> bool:
    """True when the caller should be asked for their school's URN before being connected."""
    return service in ASKING_SERVICES and known_urn is None


def parse_urn(raw: str | None) -> int | None:
    """A 6-digit URN from keypad digits or a URL, or None."""
    text = "" if raw is None else str(raw).strip()
    if len(text) == URN_LENGTH and text.isascii() and text.isdigit():
        return int(text)
    return None


def failure(attempt: int, reason: str) -> UrnStep:
    """A failed attempt: try once more, then continue unidentified."""
    if attempt < MAX_FAILURES:
        return UrnStep("retry", reason=reason)
    return UrnStep("give_up", reason=reason)


def decide_urn_entry(digits: str | None, attempt: int) -> UrnStep:
    """What the keys typed at the URN prompt lead to."""
    # Twilio drops the finishing hash; a caller driven by hand (or a simulator) may still send it.
    raw = "" if digits is None else str(digits).strip().removesuffix("#")
    if SKIP_KEY in raw:
        return UrnStep("skip")
    if not raw:
        return failure(attempt, "no_input")
    urn = parse_urn(raw) if clean_digits(raw) == raw else None
    if urn is None:
        return failure(attempt, "not_six_digits")
    return UrnStep("lookup", urn=urn)


def decide_lookup(urn: int, found: bool, attempt: int) -> UrnStep:
    """After looking the URN up: read the school's name back, or count a failure."""
    if found:
        return UrnStep("read_back", urn=urn)
    return failure(attempt, "not_found")


def spoken_reason(step: UrnStep) -> str | None:
    """What the caller hears about a failed attempt; a give-up after "try again" needs no words."""
    if step.reason is None or (step.action == "give_up" and step.reason == "retry"):
        return None
    return prompts.URN_REPROMPTS[step.reason]


def decide_confirm(digits: str | None, urn: int | None, attempt: int) -> UrnStep:
    """1 confirms the school read back, star skips; anything else (2 included) is another try."""
    keys = "" if digits is None else str(digits).strip()
    if keys == CONFIRM_KEY and urn is not None:
        return UrnStep("confirm", urn=urn)
    if SKIP_KEY in keys:
        return UrnStep("skip")
    return failure(attempt, "retry")
