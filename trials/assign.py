"""The call flow's side of a trial: give a new call its variant, and play that variant's wording."""
from __future__ import annotations

import logging
from datetime import datetime

from db.models import Trial
from db.trials import get_active_trial
from routing.menu import DEFAULT_WORDING, Wording, make_wording
from trials.allocation import choose_variant

log = logging.getLogger("trials")


def assign_trial_variant(session, call, now: datetime) -> None:
    """Record the running trial's variant on a new call; on any error the call hears the published wording.

    Runs before the call's row is written, so rolling back a failed query loses nothing.
    """
    if call.trial_id is not None:
        return  # a repeated webhook: keep the first assignment
    try:
        trial = get_active_trial(session, now)
        if trial is None:
            return
        # identify_by_caller_id has already run, so a registered number's school is known here; an unknown
        # school falls back to allocation by caller.
        urn = call.school_urn if trial.unit == "school" else None
        variant = choose_variant(trial.id, trial.allocation, call.caller, school_urn=urn)
        make_wording(trial.variants[variant])  # never assign a wording that cannot be played
        call.trial_id, call.variant = trial.id, variant
    except Exception as exc:
        session.rollback()
        call.trial_id, call.variant = None, None
        log.error("trial assignment failed; the call hears the published wording", exc_info=True,
                  extra={"call_sid": call.call_sid, "event": "trial_assignment_failed", "error": type(exc).__name__})


def variant_wording(session, call, published: Wording = DEFAULT_WORDING) -> Wording:
    """The published wording as the call's trial variant changes it; the published one outside a trial or on any
    error."""
    if call.trial_id is None or not call.variant:
        return published
    try:
        # Every view asks for the wording after committing the call, so a failed read here loses nothing.
        trial = session.get(Trial, call.trial_id)
        return make_wording(trial.variants[call.variant], published)
    except Exception as exc:
        log.error("trial wording unavailable; playing the default", exc_info=True,
                  extra={"call_sid": call.call_sid, "event": "trial_wording_failed", "error": type(exc).__name__})
        return published
