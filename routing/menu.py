"""The keypad menu: wording and the decision for each key, as pure functions."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace

from routing import prompts
from routing.vocabulary import Route

WORDS_PER_MINUTE = 150
MAX_FAILURES = 2  # the second no-input or invalid key goes straight to MASH
MENU_TIMEOUT_S = 5  # how long each menu waits for a key after its last word
# A caller who presses nothing is put through to MASH (EDT out of hours) within this, speech and waits together.
SILENT_CALLER_LIMIT_S = 45

KEY_TO_CHOICE = {"1": Route.MASH, "2": Route.DSL_INFOLINE, "3": Route.EARLY_HELP, "4": Route.STATUS_CHECK}


@dataclass(frozen=True)
class Wording:
    """The spoken menu; trials may vary only option 2-4 text and the closing line."""

    danger: str = prompts.DANGER
    option1: str = prompts.OPTION1
    option1_closed: str = prompts.OPTION1_CLOSED
    option2: str = prompts.OPTION2
    option2_closed: str = prompts.OPTION2_CLOSED
    option3: str = prompts.OPTION3
    option3_closed: str = prompts.OPTION3_CLOSED
    option4: str = prompts.OPTION4
    closing: str = prompts.CLOSING

    def sentences(self, in_hours: bool) -> list[str]:
        """The greeting in the order it is spoken."""
        return [
            self.danger,
            self.option1 if in_hours else self.option1_closed,
            self.option2 if in_hours else self.option2_closed,
            self.option3 if in_hours else self.option3_closed,
            self.option4,
            self.closing,
        ]

    def texts(self) -> dict[str, str]:
        """Every sentence by name, as a published version stores it."""
        return asdict(self)


DEFAULT_WORDING = Wording()
WORDING_FIELDS = tuple(f.name for f in fields(Wording))
VARIABLE_FIELDS = ("option2", "option2_closed", "option3", "option3_closed", "option4", "closing")


def make_wording(overrides: dict[str, str], base: Wording = DEFAULT_WORDING) -> Wording:
    """A trial variant: `base` (the published wording) changed only in the fields a trial may vary."""
    fixed = set(overrides) - set(VARIABLE_FIELDS)
    if fixed:
        raise ValueError(f"a variant may only change {', '.join(VARIABLE_FIELDS)}; not {', '.join(sorted(fixed))}")
    return replace(base, **{k: str(v).strip() for k, v in overrides.items()})


def wording_from(texts: dict[str, str], base: Wording = DEFAULT_WORDING) -> Wording:
    """A whole published wording: `base` with any of its sentences replaced (unknown names are refused)."""
    unknown = set(texts) - set(WORDING_FIELDS)
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))}: not a menu sentence (use {', '.join(WORDING_FIELDS)})")
    return replace(base, **{k: " ".join(str(v).split()) for k, v in texts.items()})


@dataclass(frozen=True)
class Decision:
    """What the menu does next: connect, repeat, identify, or check a status."""

    action: str  # "connect", "repeat", "choose", "status_check"
    route: str | None = None
    reason: str | None = None  # "no_input" or "invalid" for repeats and fallbacks


def urgent_route(in_hours: bool) -> str:
    """MASH in hours; the Emergency Duty Team out of hours."""
    return Route.MASH if in_hours else Route.EDT


def clean_digits(raw: str | None) -> str:
    """Keep only keypad characters; garbage input becomes an invalid choice, never an error."""
    if raw is None:
        return ""
    return "".join(re.findall(r"[0-9*#]", str(raw)))[:32]


def decide_menu(digits: str | None, attempt: int, in_hours: bool, emergency: bool = False) -> Decision:
    """Decide what a menu key press (or silence) at the given attempt leads to; in emergency mode, MASH."""
    raw = "" if digits is None else str(digits).strip()
    keys = clean_digits(raw)
    last_chance = attempt >= MAX_FAILURES
    if emergency:
        # A service's phones are down: every choice, and silence at once, goes to MASH (EDT out of hours).
        return Decision("connect", urgent_route(in_hours), reason=None if raw else "no_input")
    if not raw:
        if last_chance:
            return Decision("connect", urgent_route(in_hours), reason="no_input")
        return Decision("repeat", reason="no_input")
    choice = KEY_TO_CHOICE.get(keys) if keys == raw else None
    if choice in (Route.MASH,):
        return Decision("connect", urgent_route(in_hours))
    if choice == Route.STATUS_CHECK:
        return Decision("status_check", Route.STATUS_CHECK)
    if choice is not None:
        return Decision("choose", choice)
    if last_chance:
        return Decision("connect", urgent_route(in_hours), reason="invalid")
    return Decision("repeat", reason="invalid")


def parse_attempt(raw: str | None) -> int:
    """The attempt number from a URL; anything odd counts as the last chance."""
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return MAX_FAILURES
    return value if 1 <= value <= MAX_FAILURES else MAX_FAILURES


def urgent_speech(wording: Wording = DEFAULT_WORDING, in_hours: bool = True) -> str:
    """What an urgent caller hears before the transfer starts when pressing 1 at the first chance."""
    return " ".join(wording.sentences(in_hours)[:2])


def speech_measure(text: str) -> tuple[int, float]:
    """Words and seconds of speech at 150 words a minute."""
    words = len(text.split())
    return words, round(words * 60 / WORDS_PER_MINUTE, 1)


def silent_wait_seconds(menu_text: str) -> float:
    """Seconds before a caller who presses nothing is put through: the menu, a wait, the short replay, a wait."""
    menu = speech_measure(menu_text)[1]
    return round(menu + MENU_TIMEOUT_S + speech_measure(prompts.SHORT_REPLAY)[1] + MENU_TIMEOUT_S, 1)


def silent_caller_seconds(wording: Wording = DEFAULT_WORDING, in_hours: bool = True) -> float:
    """The silent caller's wait for one wording, in or out of hours."""
    return silent_wait_seconds(" ".join(wording.sentences(in_hours)))


def urgent_caller_seconds(wording: Wording = DEFAULT_WORDING, in_hours: bool = True) -> float:
    """Seconds of speech before a caller who presses 1 as soon as it is offered is put through."""
    return speech_measure(urgent_speech(wording, in_hours))[1]
