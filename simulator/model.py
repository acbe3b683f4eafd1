"""The traffic model: who rings the MASH line, when, why and from which number, calibrated on the report."""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

from routing.hours import LONDON, OpeningHours, is_bank_holiday

# The report's figures.
CALLS_PER_YEAR = 29_000
SCHOOL_SHARE = 0.48  # schools made 48% of phone contacts
SCHOOL_DSLS = 1_149
NON_URGENT_DSL_SHARE = 0.21  # of DSLs made a non-urgent MASH contact in the comparison group
COMPARISON_DAYS = 91  # assumption: the comparison period was one school term

# Pupils assumed for a school without NumberOfPupils, by GIAS phase.
PHASE_PUPILS = {"Nursery": 80, "Primary": 250, "Middle deemed primary": 350, "Middle deemed secondary": 450,
                "Secondary": 1000, "All-through": 1200, "16 plus": 600, "Not applicable": 120}
DEFAULT_PUPILS = 250
MIN_PUPILS_PER_DSL = 40

# Relative call volume by London hour: weekdays peak mid-morning and early afternoon; nights are rare.
WEEKDAY_HOURS = (0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 2.5, 8, 10, 10, 7, 8, 9, 9, 7, 3, 1.2, 0.8, 0.6, 0.5, 0.4, 0.3)
WEEKEND_HOURS = (0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5,
                 0.5, 0.4, 0.4, 0.3, 0.3)

SCHOOL, OTHER = "school", "other"
URGENT, ADVICE, EARLY_HELP, FOLLOW_UP = "urgent", "advice", "early_help", "follow_up"
# Made-up numbers only (Ofcom drama ranges): never a number a callback could reach.
OWN_PHONE_RANGE = ("+44121496", 0, 999)  # a DSL's own phone, not registered to the school
OTHER_CALLER_RANGE = ("+44207946", 500, 999)  # police, health, the public
UPDATE_AFTER = timedelta(days=1)  # when the built-in effect's status update reaches the school


@dataclass(frozen=True)
class TrafficModel:
    """Every knob of the traffic model, with defaults derived from the report (see README)."""

    school_share: float = SCHOOL_SHARE
    dsls: int = SCHOOL_DSLS
    heavy_school_share: float = 0.05  # a few schools make several times the average MASH contacts per pupil
    heavy_multiplier: tuple[float, float] = (3.0, 8.0)
    school_intents: dict = field(default_factory=lambda: {URGENT: 0.50, ADVICE: 0.36, EARLY_HELP: 0.14})
    other_intents: dict = field(default_factory=lambda: {URGENT: 0.78, ADVICE: 0.04, EARLY_HELP: 0.18})
    follow_up_after_mash: float = 0.30  # a school's MASH call followed by "any news?" within 1-10 days
    # The built-in effect of status updates: this share of schools' MASH contacts get one a day after the call
    # (recorded as a delivered "still being assessed" update), and are then chased only this often, from day 2.
    status_update_share: float = 0.0
    follow_up_after_update: float = 0.10
    school_caller_id: dict = field(default_factory=lambda: {"registered": 0.75, "own_phone": 0.17, "withheld": 0.08})
    other_withheld: float = 0.15
    abandon_in_greeting: float = 0.03
    # How transfers end, by route: answered, busy, no-answer.
    transfers: dict = field(default_factory=lambda: {
        "MASH": (0.86, 0.04, 0.10), "EDT": (0.80, 0.05, 0.15),
        "DSL_INFOLINE": (0.75, 0.10, 0.15), "EARLY_HELP": (0.78, 0.07, 0.15)})
    talk_median_s: dict = field(default_factory=lambda: {"MASH": 420, "EDT": 480, "DSL_INFOLINE": 540,
                                                         "EARLY_HELP": 360})
    message_s: tuple[int, int] = (15, 60)

    def first_call_school_share(self) -> float:
        """P(a first call is a school's), so that with follow-ups schools make `school_share` of all calls."""
        chased = ((1 - self.status_update_share) * self.follow_up_after_mash
                  + self.status_update_share * self.follow_up_after_update)
        g = self.school_intents.get(URGENT, 0.0) * chased
        return self.school_share / (1 + g * (1 - self.school_share))


@dataclass(frozen=True)
class SchoolInfo:
    """What traffic needs to know about a registered school."""

    urn: int
    phase: str | None
    pupils: int | None
    numbers: tuple[str, ...]

    @property
    def size(self) -> int:
        """Pupils on roll, or the typical number for the school's phase."""
        return self.pupils or PHASE_PUPILS.get(self.phase or "", DEFAULT_PUPILS)


@dataclass(frozen=True)
class CallerProfile:
    """Who is calling and why; behaviours read it to choose keys."""

    kind: str  # school or other
    intent: str  # urgent, advice, early_help, follow_up
    caller_id: str  # E.164 or "withheld"
    school_urn: int | None = None
    dsl: str | None = None  # "URN/n": the same person across their calls
    heavy: bool = False
    reference: str | None = None  # a follow-up's contact reference, once the earlier call has one


@dataclass(frozen=True)
class PlannedCall:
    """One call of the plan: when, who, its own random seed, and the call it follows up (an index)."""

    index: int
    at: datetime
    profile: CallerProfile
    seed: int
    parent: int | None = None
    update_at: datetime | None = None  # when a status update reached the school (the built-in effect), if one did


@dataclass
class Population:
    """The schools with their DSLs, call weights and the heavy users among them."""

    schools: list[SchoolInfo]
    dsls: dict[int, int]  # URN -> DSLs
    weights: list[float]
    heavy: set[int]
    own_phones: dict[str, str] = field(default_factory=dict)


def build_population(schools: list[SchoolInfo], model: TrafficModel, rng: random.Random) -> Population:
    """Share the DSLs by pupils and pick the heavy-using schools with their multipliers."""
    total = sum(s.size for s in schools) or 1
    per_dsl = max(total / model.dsls, MIN_PUPILS_PER_DSL)
    shares = {s.urn: s.size / per_dsl for s in schools}
    dsls = {urn: max(1, int(share)) for urn, share in shares.items()}
    # Largest remainders first, until the register holds the report's number of DSLs.
    for urn in sorted(shares, key=lambda u: shares[u] - int(shares[u]), reverse=True):
        if sum(dsls.values()) >= min(model.dsls, round(total / per_dsl)):
            break
        dsls[urn] += 1
    heavy_count = round(len(schools) * model.heavy_school_share)
    heavy = set(rng.sample([s.urn for s in schools], heavy_count)) if heavy_count else set()
    weights = [s.size * (rng.uniform(*model.heavy_multiplier) if s.urn in heavy else 1.0) for s in schools]
    return Population(schools, dsls, weights, heavy)


def _pick(rng: random.Random, table: dict):
    return rng.choices(list(table), weights=list(table.values()))[0]


def _number(rng: random.Random, prefix_range: tuple[str, int, int]) -> str:
    prefix, low, high = prefix_range
    return f"{prefix}{rng.randint(low, high):04d}"


def _profile(pop: Population, model: TrafficModel, rng: random.Random) -> CallerProfile:
    if not pop.schools or rng.random() >= model.first_call_school_share():
        withheld = rng.random() < model.other_withheld
        return CallerProfile(OTHER, _pick(rng, model.other_intents),
                             "withheld" if withheld else _number(rng, OTHER_CALLER_RANGE))
    school = rng.choices(pop.schools, weights=pop.weights)[0]
    dsl = f"{school.urn}/{rng.randrange(pop.dsls[school.urn])}"
    how = _pick(rng, model.school_caller_id)
    if how == "registered" and school.numbers:
        caller_id = rng.choice(school.numbers)
    elif how == "withheld":
        caller_id = "withheld"
    else:  # the DSL's own phone: the same number every time this DSL calls from it
        caller_id = pop.own_phones.setdefault(dsl, _number(rng, OWN_PHONE_RANGE))
    return CallerProfile(SCHOOL, _pick(rng, model.school_intents), caller_id, school.urn, dsl,
                         school.urn in pop.heavy)


def day_weight(day: date) -> float:
    """How busy a London day is: weekends and bank holidays are quiet."""
    hours = WEEKEND_HOURS if day.weekday() >= 5 or is_bank_holiday(day) else WEEKDAY_HOURS
    return sum(hours)


def _time_on(day: date, rng: random.Random) -> datetime:
    hours = WEEKEND_HOURS if day.weekday() >= 5 or is_bank_holiday(day) else WEEKDAY_HOURS
    hour = rng.choices(range(24), weights=hours)[0]
    local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=LONDON)
    return local.astimezone(timezone.utc)


class Calendar:
    """Draws call times over the past days by the hour-of-week profile, optionally only open or closed."""

    def __init__(self, now: datetime, days: int, hours: OpeningHours, only_open: bool | None = None):
        self.now, self.hours, self.only_open = now, hours, only_open
        today = now.astimezone(LONDON).date()
        self.days = [today - timedelta(days=i) for i in range(days)]
        self.weights = [day_weight(d) for d in self.days]

    def _fits(self, at: datetime) -> bool:
        return at < self.now and (self.only_open is None or self.hours.is_open(at) == self.only_open)

    def draw(self, rng: random.Random) -> datetime | None:
        """A time in the window, or None when the window has no fitting time."""
        for _ in range(500):
            at = _time_on(rng.choices(self.days, weights=self.weights)[0], rng)
            if self._fits(at):
                return at
        return None

    def after(self, start: datetime, rng: random.Random, min_days: int = 1, max_days: int = 10) -> datetime | None:
        """A later time, 1-10 days on, by the same profile; None if it would be in the future."""
        for _ in range(50):
            day = start.astimezone(LONDON).date() + timedelta(days=rng.randint(min_days, max_days))
            at = _time_on(day, rng)
            if self._fits(at):
                return at
        return None


def plan_calls(model: TrafficModel, pop: Population, calls: int, calendar: Calendar,
               rng: random.Random) -> list[PlannedCall]:
    """Exactly `calls` calls; some schools' MASH calls are followed up by the same DSL."""
    plan: list[PlannedCall] = []
    while len(plan) < calls:
        at = calendar.draw(rng)
        if at is None:
            raise ValueError("no time in the window fits the traffic's opening-hours restriction")
        profile = _profile(pop, model, rng)
        first = PlannedCall(len(plan), at, profile, rng.getrandbits(32))
        chased, min_days = model.follow_up_after_mash, 1
        if profile.kind == SCHOOL and profile.intent == URGENT and model.status_update_share > 0:
            update_at = at + UPDATE_AFTER
            if update_at < calendar.now and rng.random() < model.status_update_share:
                first = replace(first, update_at=update_at)
                chased, min_days = model.follow_up_after_update, 2  # a chase comes after the update, or not at all
        plan.append(first)
        if (profile.kind == SCHOOL and profile.intent == URGENT and len(plan) < calls
                and rng.random() < chased):
            later = calendar.after(at, rng, min_days=min_days)
            if later is not None:
                follow = CallerProfile(SCHOOL, FOLLOW_UP, profile.caller_id, profile.school_urn, profile.dsl,
                                       profile.heavy)
                plan.append(PlannedCall(len(plan), later, follow, rng.getrandbits(32), parent=len(plan) - 1))
    return plan
