"""The line's settings as one value, and what a caller hears at a moment: pure, so the live call, the preview and
the rules agree.

Supervisors change these without a deploy (the `line` package saves them); the environment's values are the
defaults a new database starts with.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Mapping

from routing import prompts
from routing.hours import OpeningHours
from routing.menu import DEFAULT_WORDING, Wording, speech_measure
from routing.menu_rules import seconds_to_option1
from routing.vocabulary import Route

# The services whose hours a supervisor sets; the Emergency Duty Team answers whenever MASH is closed.
SERVICES_WITH_HOURS = (Route.MASH, Route.DSL_INFOLINE, Route.EARLY_HELP)
# The lines calls are put through to, by route name: the CLI's service names.
LINES = (Route.MASH, Route.DSL_INFOLINE, Route.EARLY_HELP, Route.EDT)


@dataclass(frozen=True)
class Notice:
    """A dated sentence: a closure of one service (said when it is chosen) or an announcement (after option 1)."""

    id: int | None
    say: str
    starts_at: datetime
    ends_at: datetime
    service: str | None = None  # a closure's service; None for an announcement
    reason: str | None = None  # a closure's reason, for staff: never spoken

    def covers(self, when: datetime) -> bool:
        """Whether it is in force at `when` (from its start, up to but not including its end)."""
        return self.starts_at <= when < self.ends_at


@dataclass(frozen=True)
class LineState:
    """Everything that shapes a call, as one revision of the settings."""

    hours: Mapping[str, OpeningHours]
    numbers: Mapping[str, str]
    revision: int = 0
    closures: tuple[Notice, ...] = ()
    announcements: tuple[Notice, ...] = ()
    emergency: bool = False
    emergency_say: str = prompts.EMERGENCY
    wording: Wording = DEFAULT_WORDING
    menu_version: int | None = None  # the published version; None: the poster's default wording

    def __post_init__(self) -> None:
        """Freeze the mappings, as the state is shared by every request of a process."""
        object.__setattr__(self, "hours", MappingProxyType(dict(self.hours)))
        object.__setattr__(self, "numbers", MappingProxyType(dict(self.numbers)))

    def closure(self, service: str, when: datetime) -> Notice | None:
        """The closure of a service in force at `when`, if any."""
        return next((c for c in self.closures if c.service == service and c.covers(when)), None)

    def is_open(self, service: str, when: datetime) -> bool:
        """Whether a service answers at `when`: within its hours and not closed; EDT always answers."""
        if service not in self.hours:
            return True
        return self.hours[service].is_open(when) and self.closure(service, when) is None

    def announcement(self, when: datetime) -> Notice | None:
        """The announcement in force at `when` (the latest to start, if several overlap)."""
        current = [a for a in self.announcements if a.covers(when)]
        return max(current, key=lambda a: a.starts_at) if current else None

    def notice(self, when: datetime) -> Notice | None:
        """The one notice spoken after option 1 at `when`: MASH's closure (its callers go to EDT), else the
        announcement."""
        return self.closure(Route.MASH, when) or self.announcement(when)

    def greeting(self, wording: Wording, when: datetime) -> list[str]:
        """The menu a caller hears at `when`, in order: the 999 line and option 1 always first."""
        mash_open = self.is_open(Route.MASH, when)
        first = [wording.danger, wording.option1 if mash_open else wording.option1_closed]
        if self.emergency:
            return first + [self.emergency_say]
        notice = self.notice(when)
        return first + ([notice.say] if notice else []) + [
            wording.option2 if self.is_open(Route.DSL_INFOLINE, when) else wording.option2_closed,
            wording.option3 if self.is_open(Route.EARLY_HELP, when) else wording.option3_closed,
            wording.option4, wording.closing]


@dataclass(frozen=True)
class Transcript:
    """What a caller would hear at a moment, and how long it takes: the preview's figures."""

    sentences: list[str]
    notes: list[str]
    seconds_to_option1: float
    seconds_total: float


def transcript(state: LineState, wording: Wording, when: datetime) -> Transcript:
    """The greeting at `when` with the facts that shaped it (hours, closures, announcement, emergency mode)."""
    sentences = state.greeting(wording, when)
    mash_open = state.is_open(Route.MASH, when)
    notes = [f"{prompts.capitalised(prompts.SERVICE_NAMES[service])} is "
             f"{'open' if state.is_open(service, when) else 'closed'}" for service in SERVICES_WITH_HOURS]
    if not mash_open:
        notes.append("Urgent calls go to the Emergency Duty Team")
    for service in SERVICES_WITH_HOURS:
        closure = state.closure(service, when)
        if closure:
            notes.append(f"{prompts.capitalised(prompts.SERVICE_NAMES[service])} is closed today: its callers "
                         f"hear \"{closure.say}\" and may leave a message")
    if state.emergency:
        notes.append("Emergency mode: every key reaches "
                     f"{'MASH' if mash_open else 'the Emergency Duty Team'}")
    return Transcript(sentences, notes, seconds_to_option1(wording, mash_open),
                      speech_measure(" ".join(sentences))[1])
