"""The rules that keep the menu safe, checked on every save of a wording, a trial, an announcement or emergency mode.

Each problem names its rule, so a refused change says which rule it broke. Pure: the saving code asks, the
live call never needs to.
"""
from __future__ import annotations

import math
import re

from routing.menu import (SILENT_CALLER_LIMIT_S, WORDING_FIELDS, WORDS_PER_MINUTE, Wording, make_wording,
                          silent_wait_seconds, speech_measure)

MAX_TEXT_CHARS = 200
OPTION1_MAX_WORDS = 25
TO_OPTION1_LIMIT_S = 8.0
MENU_LIMIT_S = 40.0
# The key each sentence offers; the 999 line, the closing line and spoken notices offer none.
FIELD_KEY = {"option1": "1", "option1_closed": "1", "option2": "2", "option2_closed": "2", "option3": "3",
             "option3_closed": "3", "option4": "4", "danger": None, "closing": None}
NUMBER_WORDS = r"(zero|one|two|three|four|five|six|seven|eight|nine|star|hash|pound)"

RULE_999_FIRST = "the 999 sentence comes first"
RULE_OPTION1 = "option 1 keeps 'press 1' and 'stay on the line', in at most 25 words"
RULE_KEYS = "every option offers its own key, and the keys never change"
RULE_TO_OPTION1 = "the speech before option 1's key is at most 8 s at 150 words a minute"
RULE_MENU_LENGTH = "the whole menu is at most 40 s at 150 words a minute"
RULE_SILENT_CALLER = f"a caller who presses nothing reaches MASH within {SILENT_CALLER_LIMIT_S} s"
RULE_PLAIN_WORDS = "a sentence is plain words, under 200 characters"


def broken(rule: str, detail: str) -> str:
    """One refusal, naming its rule."""
    return f"rule '{rule}': {detail}"


def check_sentence(field: str, text: str) -> str | None:
    """Why a menu sentence is not allowed (keys must stay as they are), or None."""
    if not text.strip():
        return "must not be empty"
    if len(text) > MAX_TEXT_CHARS:
        return f"is {len(text)} characters; keep it under {MAX_TEXT_CHARS} so the menu stays short"
    if "<" in text or ">" in text:
        return "must be plain words (no markup)"
    key = FIELD_KEY[field]
    digits = set(re.findall(r"\d", text.replace("999", "")) if field == "danger" else re.findall(r"\d", text))
    if re.search(rf"\bpress\s+{NUMBER_WORDS}\b", text, re.IGNORECASE):
        return "must give keys as digits (press 2), not words"
    if key is None:
        if digits or re.search(r"\bpress\b", text, re.IGNORECASE):
            return f"the {'999 line' if field == 'danger' else 'closing line'} may not offer a key or mention a number"
        return None
    if digits - {key} or not re.search(rf"\bpress\s+{key}\b", text, re.IGNORECASE):
        return f"must offer key {key} ('press {key}') and no other key or number: keys never change"
    return None


def check_notice(text: str, what: str) -> list[str]:
    """Problems with a spoken notice (an announcement, a closure or emergency mode's sentence): words, no key."""
    if not text.strip():
        return [broken(RULE_PLAIN_WORDS, f"the {what} must not be empty")]
    if len(text) > MAX_TEXT_CHARS or "<" in text or ">" in text:
        return [broken(RULE_PLAIN_WORDS, f"the {what} is {len(text)} characters or has markup")]
    if re.search(r"\bpress\b", text, re.IGNORECASE) or re.search(r"\d", text):
        return [broken(RULE_KEYS, f"the {what} may not offer a key or mention a number; the keys never change")]
    return []


def seconds_to_option1(wording: Wording, in_hours: bool) -> float:
    """Seconds of speech before option 1's key is offered: the 999 line, then option 1 up to 'press 1'."""
    option1 = wording.option1 if in_hours else wording.option1_closed
    match = re.search(r"\bpress\s+1\b", option1, re.IGNORECASE)
    before = option1[:match.end()] if match else option1
    return speech_measure(f"{wording.danger} {before}")[1]


def longest_menu(wording: Wording, mash_open: bool, notices: tuple[str, ...] = ()) -> str:
    """The longest greeting with MASH open or closed: the other services each in their longer form (they keep
    their own hours), with every notice after option 1."""
    def longer(a: str, b: str) -> str:
        return a if len(a.split()) >= len(b.split()) else b
    return " ".join([wording.danger, wording.option1 if mash_open else wording.option1_closed, *notices,
                     longer(wording.option2, wording.option2_closed), longer(wording.option3, wording.option3_closed),
                     wording.option4, wording.closing])


def _cut(seconds: float, limit: float) -> str:
    words = math.ceil((seconds - limit) * WORDS_PER_MINUTE / 60)
    return f"cut at least {words} word{'s' if words != 1 else ''}"


def check_lengths(wording: Wording, notices: tuple[str, ...] = (), what: str = "the menu") -> list[str]:
    """The length rules for the longest greeting in and out of MASH's hours, with any notices after option 1."""
    problems = []
    for mash_open, who in ((True, "MASH"), (False, "the Emergency Duty Team out of hours")):
        menu = longest_menu(wording, mash_open, notices)
        seconds = speech_measure(menu)[1]
        if seconds > MENU_LIMIT_S:
            problems.append(broken(RULE_MENU_LENGTH, f"with {what}, the menu for {who} would take {seconds:g} s; "
                                   f"the limit is {MENU_LIMIT_S:g} s, so {_cut(seconds, MENU_LIMIT_S)}"))
        waited = silent_wait_seconds(menu)
        if waited > SILENT_CALLER_LIMIT_S:
            problems.append(broken(RULE_SILENT_CALLER, f"with {what}, a caller who presses nothing would wait "
                                   f"{waited:g} s for {who} (menu, short replay and waits); the limit is "
                                   f"{SILENT_CALLER_LIMIT_S} s, so {_cut(waited, SILENT_CALLER_LIMIT_S)}"))
    return problems


def check_emergency(wording: Wording, say: str) -> list[str]:
    """Emergency mode's greeting (the 999 line, option 1, its sentence; then any key or silence reaches MASH) within
    the menu's limit, its sentence offering no key."""
    problems = check_notice(say, "emergency sentence")
    for option1 in (wording.option1, wording.option1_closed):
        seconds = speech_measure(f"{wording.danger} {option1} {say}")[1]
        if seconds > MENU_LIMIT_S:
            problems.append(broken(RULE_MENU_LENGTH, f"in emergency mode the menu would take {seconds:g} s; the "
                                   f"limit is {MENU_LIMIT_S:g} s, so {_cut(seconds, MENU_LIMIT_S)}"))
    return problems


def check_silent_caller(wording: Wording) -> str | None:
    """Why a wording would keep a caller who presses nothing from MASH (EDT out of hours) too long, or None."""
    return next((p for p in check_lengths(wording) if RULE_SILENT_CALLER in p), None)


def check_wording(wording: Wording, notices: tuple[str, ...] = ()) -> list[str]:
    """Every rule a whole menu wording breaks, each naming its rule; empty when it is safe to play."""
    problems = []
    for field in WORDING_FIELDS:
        problem = check_sentence(field, getattr(wording, field))
        if problem:
            rule = RULE_KEYS if "key" in problem else RULE_PLAIN_WORDS
            problems.append(broken(rule, f"{field} {problem}"))
    if "999" not in wording.danger:
        problems.append(broken(RULE_999_FIRST, "the first sentence (danger) must tell the caller to call 999"))
    for field in ("option1", "option1_closed"):
        text = getattr(wording, field)
        words = len(text.split())
        if not re.search(r"\bpress\s+1\b", text, re.IGNORECASE) or "stay on the line" not in text.lower() \
                or words > OPTION1_MAX_WORDS:
            problems.append(broken(RULE_OPTION1, f"{field} has {words} words: {text!r}"))
    for in_hours, field in ((True, "option1"), (False, "option1_closed")):
        seconds = seconds_to_option1(wording, in_hours)
        if seconds > TO_OPTION1_LIMIT_S:
            problems.append(broken(RULE_TO_OPTION1, f"the 999 line and {field} take {seconds:g} s to reach 'press 1'"))
    return problems or check_lengths(wording, notices)


def check_line(wording: Wording, notices: tuple[str, ...] = (), variants: dict[str, dict] | None = None) -> list[str]:
    """Every rule broken by the wording, by each trial variant of it (labelled by its key), and by each with any
    one notice spoken after option 1 (an announcement, MASH's closure): the whole line, checked as one."""
    problems = []
    for label, overrides in [("", None), *(variants or {}).items()]:
        candidate = wording if overrides is None else make_wording(overrides, wording)
        found = check_wording(candidate)
        for notice in notices:
            found = found or check_lengths(candidate, (notice,), f"the sentence {notice!r}")
        problems.extend(f"{label}: {problem}" if label else problem for problem in found)
    return problems

