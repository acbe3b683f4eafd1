"""Query functions for menu wording trials: the running trial, saving and stopping trials, their calls."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db.audit import save_audit_event
from db.models import Call, Contact, Trial


# Built once: every new call asks for the running trial, and almost always there is none.
ACTIVE_TRIAL_ID = (
    sa_select(Trial.id)
    .where(Trial.starts_at <= bindparam("now"), Trial.ends_at > bindparam("now"),
           or_(Trial.stopped_at.is_(None), Trial.stopped_at > bindparam("now")))
    .order_by(Trial.starts_at.desc())
    .limit(1)
)


def get_active_trial(session: Session, now: datetime) -> Trial | None:
    """The trial playing at `now`, if any (one indexed query; only one trial runs at a time)."""
    trial_id = session.connection().execute(ACTIVE_TRIAL_ID, {"now": now}).scalar()
    return None if trial_id is None else session.get(Trial, trial_id)


def get_trial(session: Session, trial_id: int) -> Trial | None:
    """The trial with this id."""
    return session.get(Trial, trial_id)


def get_trial_by_name(session: Session, name: str) -> Trial | None:
    """The trial with this name."""
    return session.exec(select(Trial).where(Trial.name == name)).first()


def get_trials(session: Session) -> list[Trial]:
    """Every trial, the latest start first."""
    return list(session.exec(select(Trial).order_by(Trial.starts_at.desc(), Trial.id.desc())))


def save_new_trial(session: Session, values: dict, now: datetime, actor: str) -> Trial | None:
    """Insert a trial (audited); None if its name is taken (the unique index decides, so two saves cannot race)."""
    trial = Trial(**values, created_at=now)
    session.add(trial)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    save_audit_event(session, actor, "trial_created",
                     f"trial {trial.name}: {', '.join(trial.variants)}, by {trial.unit}", at=now)
    return trial


def save_trial_stopped(session: Session, trial: Trial, now: datetime, actor: str) -> None:
    """Record that a trial stopped now (audited): from the next call on, the default wording plays."""
    trial.stopped_at = now
    session.add(trial)
    save_audit_event(session, actor, "trial_stopped", f"trial {trial.name}", at=now)


def get_trial_calls(session: Session, trial: Trial) -> list:
    """The calls of a trial with what the analysis needs, and the outcome of any MASH contact they opened."""
    rows = session.exec(
        select(Call.variant, Call.service, Call.route, Call.no_input_count, Call.invalid_count,
               Call.started_at, Call.routed_at, Call.caller, Contact.outcome, Call.school_urn)
        .outerjoin(Contact, Contact.call_id == Call.id)
        .where(Call.trial_id == trial.id)
    )
    return list(rows)
