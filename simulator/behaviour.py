"""How simulated callers react to what they hear; pluggable so a trial can build in a known effect."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Callable

from simulator.caller import GatherSpec
from simulator.model import ADVICE, EARLY_HELP, FOLLOW_UP, URGENT, CallerProfile, TrafficModel
from simulator.transcript import ServiceDirectory

# At the greeting menu: the keys each kind of caller presses (None = stays on the line).
DEFAULT_MENU_WEIGHTS: dict[str, dict[str | None, float]] = {
    URGENT: {"1": 0.82, None: 0.15, "9": 0.03},
    ADVICE: {"2": 0.79, "1": 0.15, "3": 0.03, "0": 0.03},  # "1" here is a needless MASH call
    EARLY_HELP: {"3": 0.78, "1": 0.10, "2": 0.09, "0": 0.03},
    FOLLOW_UP: {"4": 0.65, "1": 0.35},  # "1" is the repeat MASH call option 4 is meant to replace
}

MenuWeights = Callable[[CallerProfile, str], dict]
Behaviour = Callable[[CallerProfile, str, random.Random], "str | None"]


def default_menu_weights(profile: CallerProfile, prompt: str) -> dict:
    """The report-calibrated key choice for the caller's reason to ring, whatever the wording."""
    return DEFAULT_MENU_WEIGHTS[profile.intent]


def is_menu(prompt: str) -> bool:
    """The greeting menu: by the default 999 line, or (reworded) by the 999 and "stay on the line" the rules keep
    in every published version and trial variant."""
    text = prompt.casefold()
    return "hang up and call 999" in text or ("999" in text and "stay on the line" in text)


@dataclass(frozen=True)
class CallerBehaviour:
    """A caller's keys for each prompt; `menu_weights` sees the spoken menu, so wording can change choices.

    A trial with a built-in effect passes, for example,
    `CallerBehaviour(menu_weights=lambda p, text: NUDGED[p.intent] if "like most schools" in text
    else default_menu_weights(p, text))`.
    """

    menu_weights: MenuWeights = default_menu_weights
    knows_urn: float = 0.7  # a DSL asked for the URN types it; the others press star
    message_when_unanswered: float = 0.8  # a non-urgent caller whose line did not answer leaves a message
    mash_after_status: float = 0.3  # a follow-up caller who still needs MASH after hearing the status (presses 2)

    def __call__(self, profile: CallerProfile, prompt: str, rng: random.Random) -> str | None:
        """Keys for a prompt, or None to stay silent."""
        text = prompt.casefold()
        if is_menu(prompt):
            weights = self.menu_weights(profile, prompt)
            return rng.choices(list(weights), weights=list(weights.values()))[0]
        if "urn" in text.split() or "6-digit urn" in text:
            known = profile.school_urn is not None and rng.random() < self.knows_urn
            return f"{profile.school_urn}#" if known else "*"
        if "you said" in text:
            return "1"
        if "cannot answer" in text or "to be called back by" in text:
            urgent = profile.intent in (URGENT, FOLLOW_UP) or rng.random() >= self.message_when_unanswered
            # In hours the busy line also offers a call back (2), so a message is 3 there.
            return "1" if urgent else ("3" if "to be called back by" in text else "2")
        if "reference" in text and "press 1" not in text:
            return f"{profile.reference}#" if profile.reference else "*"
        if "if this answered your question" in text and profile.intent == FOLLOW_UP:
            # The verdict after a status: 2 still needs someone (MASH), 1 it answered them.
            return "2" if rng.random() < self.mash_after_status else "1"
        return None


@dataclass
class ModelCaller:
    """A modelled caller for traffic: the behaviour chooses keys, the model decides transfers and messages."""

    profile: CallerProfile
    rng: random.Random
    model: TrafficModel = field(default_factory=TrafficModel)
    behaviour: Behaviour = field(default_factory=CallerBehaviour)
    directory: ServiceDirectory = field(default_factory=ServiceDirectory)

    def __post_init__(self):
        self.hangup_at = 1 if self.rng.random() < self.model.abandon_in_greeting else None

    def hangs_up_at(self, document: int) -> bool:
        """Some callers hang up while the greeting plays."""
        return self.hangup_at is not None and document >= self.hangup_at

    def press(self, prompt: str, gather: GatherSpec):
        """What the behaviour presses for this prompt."""
        return self.behaviour(self.profile, prompt, self.rng)

    def transfer(self, number: str) -> tuple[str, int]:
        """Answered, busy or no answer by the line's rates; talk time is log-normal around its median."""
        route = self.directory.service_of(number) or "MASH"
        answered, busy, no_answer = self.model.transfers.get(route, self.model.transfers["MASH"])
        outcome = self.rng.choices(["answered", "busy", "no-answer"], weights=[answered, busy, no_answer])[0]
        if outcome != "answered":
            return outcome, 0
        median = self.model.talk_median_s.get(route, 420)
        return outcome, max(30, int(self.rng.lognormvariate(math.log(median), 0.5)))

    def record(self, prompt: str) -> int | None:
        """A message of a plausible length."""
        return self.rng.randint(*self.model.message_s)

    def hangs_up_during_transfer(self, number: str, outcome: str) -> bool:
        """The traffic model lets every transfer end by itself."""
        return False
