"""Saving and stopping trials: the scheduling rules here, the storage in db.trials."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from db.models import Trial
from db.trials import get_trials, save_new_trial, save_trial_stopped
from routing.menu import Wording
from routing.menu_rules import check_line
from trials.definition import TrialDefinition, TrialDefinitionError, check_schedule


def save_trial(session: Session, definition: TrialDefinition, now: datetime, actor: str,
               published: Wording, notices: tuple[str, ...] = ()) -> Trial:
    """Store a checked trial (audited); refuse one that overlaps another, is over, reuses a name, or whose variants
    break a rule on top of the `published` wording they change, alone or with any `notices` after option 1."""
    check_schedule(definition, get_trials(session), now)
    problems = check_line(published, notices, {f"variants.{name}": o for name, o in definition.variants.items()})
    if problems:
        raise TrialDefinitionError(problems)
    trial = save_new_trial(session, {"name": definition.name, "variants": definition.variants,
                                     "allocation": definition.allocation, "control": definition.control,
                                     "starts_at": definition.starts_at, "ends_at": definition.ends_at,
                                     "unit": definition.unit}, now, actor)
    if trial is None:
        raise TrialDefinitionError([f"name: a trial called {definition.name!r} already exists"])
    return trial


def save_trial_stop(session: Session, trial: Trial, now: datetime, actor: str) -> None:
    """Stop a trial now (audited): from the next call on, the published wording plays."""
    if trial.stopped_at is not None or trial.ends_at <= now:
        raise TrialDefinitionError([f"{trial.name}: already ended"])
    save_trial_stopped(session, trial, now, actor)
