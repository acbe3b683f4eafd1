"""Which variant a call hears: by allocation shares, sticky per caller (or per school) within a trial (pure)."""
from __future__ import annotations

import hashlib
import random

from routing.phone import WITHHELD

# Withheld callers cannot be recognised again, so each of their calls gets a fresh draw.
_SYSTEM_RANDOM = random.SystemRandom()


def pick_variant(allocation: dict[str, float], u: float) -> str:
    """The variant whose slice of the cumulative shares holds u (0 <= u < 1)."""
    if not allocation:
        raise ValueError("a trial needs at least one variant")
    total = sum(allocation.values())
    cumulative = 0.0
    for name, share in allocation.items():
        cumulative += share / total
        if u < cumulative:
            return name
    return name  # u rounded past the last boundary: the last variant


def caller_draw(trial_id: int, caller: str) -> float:
    """A uniform number in [0, 1) fixed by (trial, caller): the same caller hears the same variant."""
    digest = hashlib.sha256(f"mash-ivr-trial:{trial_id}:{caller}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def school_draw(trial_id: int, urn: int) -> float:
    """A uniform number in [0, 1) fixed by (trial, school): every caller of a school hears the same variant."""
    digest = hashlib.sha256(f"mash-ivr-trial-school:{trial_id}:{urn}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_known_caller(caller: str | None) -> bool:
    """Whether the caller ID can recognise a repeat call."""
    return bool(caller) and caller != WITHHELD


def choose_variant(trial_id: int, allocation: dict[str, float], caller: str | None,
                   rng: random.Random | None = None, school_urn: int | None = None) -> str:
    """A call's variant: by school when one is given, else sticky by caller number, else a fresh random draw."""
    if school_urn is not None:
        return pick_variant(allocation, school_draw(trial_id, school_urn))
    if is_known_caller(caller):
        return pick_variant(allocation, caller_draw(trial_id, caller))
    return pick_variant(allocation, (rng or _SYSTEM_RANDOM).random())
