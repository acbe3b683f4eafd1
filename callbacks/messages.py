"""The words of each callback (SMS, voice, answering machine, status check): references only, never a child's details."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from callbacks import gsm
from routing.hours import LONDON
from routing.prompts import ALERT_ALREADY_ACCEPTED, ALERT_ALREADY_CLOSED, SERVICE_NAMES
from routing.spoken import national, spoken_digits
from routing.vocabulary import ALL_OUTCOME_LABELS, OUTCOME_LABELS, STATUS_LABELS, Route

SENDER = "Warwickshire MASH"
# What happens next, from the DSL's side, for each outcome.
NEXT_STEPS = {
    "no_further_action": "MASH will take no further action. Keep following your school's safeguarding "
                         "procedures and contact us again if anything changes.",
    "early_help": "Early Help will contact the family to offer support.",
    "social_care_assessment": "A social worker will carry out an assessment and may contact you for information.",
    "strategy_discussion": "A strategy discussion will be held and you may be asked to take part.",
    "other": "MASH will contact you if anything more is needed from you.",
}

DANGER = "If a child is in immediate danger, call 999."
NO_REPLY = "Replies to this number are not read."  # texts may come from a one-way sender ID


@dataclass(frozen=True)
class Update:
    """What a callback tells the DSL: its kind, the reference, and the decision or the expected time."""

    kind: str  # reference, decision, still_assessing, closed
    reference: str
    outcome: str | None = None
    reason: str | None = None
    expected_by: datetime | None = None
    service: str = Route.MASH


def when_words(when: datetime) -> str:
    """A time in London as people say it: '5:30pm on Wednesday 25 November'."""
    local = when.astimezone(LONDON)
    if (local.hour, local.minute) == (0, 0):
        # Open round the clock, a working day ends at midnight: "12:00am on Thursday" would mislead.
        day = local - timedelta(days=1)
        return f"the end of {day:%A} {day.day} {day:%B}"
    clock = local.strftime("%I:%M%p").lstrip("0").lower()
    return f"{clock} on {local:%A} {local.day} {local:%B}"


def _news(update: Update) -> str:
    """The middle of the message: the status or outcome and the next step."""
    if update.kind == "reference" and update.service not in Route.URGENT_LINES:
        return (f"your call to {SERVICE_NAMES.get(update.service, 'us')} is logged under this reference. "
                "Quote it if you call about this concern again.")
    if update.kind == "reference":
        expected = f" We aim to decide by {when_words(update.expected_by)}" if update.expected_by else " We aim to decide"
        return f"we have received your contact.{expected} and will let you know the outcome."
    if update.kind == "still_assessing":
        expected = f" We now expect a decision by {when_words(update.expected_by)}." if update.expected_by else ""
        return f"your contact is still being assessed.{expected} There is no need to call to chase; we will let you know."
    if update.kind == "decision":
        label = OUTCOME_LABELS.get(update.outcome or "other", OUTCOME_LABELS["other"])
        reason = _reason_words(update.reason)
        return f"a decision has been made: {label}.{reason} {NEXT_STEPS.get(update.outcome or 'other', NEXT_STEPS['other'])}"
    return "this contact is now closed."


def _reason_words(reason: str | None) -> str:
    """The standard reason as a sentence; a shortened one keeps its ellipsis."""
    reason = (reason or "").strip()
    if not reason:
        return ""
    return f" Reason: {reason}" if reason.endswith("...") else f" Reason: {reason.rstrip('.')}."


def _shortened(reason: str):
    """The reason cut at ever earlier word ends, each with an ellipsis, then no reason at all."""
    words = reason.split()
    for count in range(len(words) - 1, 0, -1):
        yield " ".join(words[:count]).rstrip(",;:.-") + "..."
    yield None


def _sms(update: Update, urgent_number: str) -> str:
    return gsm.to_gsm7(f"{SENDER}, contact reference {update.reference}: {_news(update)} "
                       f"If the concern has become urgent, ring {national(urgent_number)}. {DANGER} {NO_REPLY}")


def sms_text(update: Update, urgent_number: str) -> str:
    """The SMS in GSM-7 and at most 3 segments: reference, news, next step, and the number to ring."""
    # Only the standard reason (admins' own wording, up to 160 characters) varies in length, so it is
    # what gets shortened; the reference, the numbers to ring and 999 always stay.
    if update.reason:
        update = replace(update, reason=gsm.to_gsm7(update.reason))  # so a typed "…" ends the reason as "..."
    text = _sms(update, urgent_number)
    if gsm.fits(text) or not update.reason:
        return text
    for reason in _shortened(update.reason):
        text = _sms(replace(update, reason=reason), urgent_number)
        if gsm.fits(text):
            break
    return text


def voice_text(update: Update, urgent_number: str) -> str:
    """What a person hears when they answer a voice callback."""
    news = _news(update)
    return (f"Hello. This is an automated call from {SENDER} about contact reference "
            f"{spoken_digits(update.reference)}. {news[:1].upper()}{news[1:]} "
            f"If the concern has become urgent, ring {spoken_digits(national(urgent_number))}. {DANGER}")


def offer_text(reference: str) -> str:
    """The opening of a voice callback: who is calling and about what, but not the news until a key is pressed."""
    return (f"Hello. This is an automated call from {SENDER} with an update on contact reference "
            f"{spoken_digits(reference)}. To hear your update, press 1.")


def machine_text(reference: str, urgent_number: str) -> str:
    """The short message left on an answering machine: the reference only."""
    return (f"This is {SENDER} with an update on contact reference {spoken_digits(reference)}. "
            f"Please ring {spoken_digits(national(urgent_number))} and quote this reference. Goodbye.")


def may_hear_outcome(caller: str | None, school_urn: int | None, contact_caller: str | None,
                     contact_school_urn: int | None) -> bool:
    """Only the number or the identified school that made a contact hears its outcome (references can be guessed)."""
    same_number = bool(caller) and caller.startswith("+") and caller == contact_caller
    same_school = school_urn is not None and school_urn == contact_school_urn
    return same_number or same_school


def status_speech(reference: str, status: str, outcome: str | None, expected_by: datetime | None,
                  now: datetime, *, with_outcome: bool, service: str = Route.MASH) -> str:
    """Option 4: a contact's status in plain words; its outcome's label only `with_outcome`, never a reason."""
    decided_by_mash = service in Route.URGENT_LINES
    said = f"Contact reference {spoken_digits(reference)}"
    if not decided_by_mash:
        said += f", with {SERVICE_NAMES.get(service, 'another service')},"
    has = "has a decision" if decided_by_mash else "has an outcome"
    if status in ("decided", "closed") and outcome and not with_outcome:
        told = "It has been sent to the school" if decided_by_mash else "It was given to the school on the call"
        return f"{said} {has}. {told} that made the contact."
    if status in ("decided", "closed") and outcome:
        state = "is closed" if status == "closed" else has
        label = ALL_OUTCOME_LABELS.get(outcome, OUTCOME_LABELS["other"])
        return f"{said} {state}. The outcome is: {label}."
    if status == "closed":
        return f"{said} is closed."
    label = STATUS_LABELS.get(status, status)
    if not decided_by_mash:
        return f"{said} is {label}. Its outcome has not been noted yet."
    if expected_by is not None and expected_by > now:
        return f"{said} is {label}. We expect a decision by {when_words(expected_by)}."
    return f"{said} is {label}. A decision is taking longer than we hoped; we will let you know."


@dataclass(frozen=True)
class Alert:
    """What an urgent alert says: the line, who left it (the school, else the number), when, and any reference."""

    service: str
    school: str | None
    caller: str | None
    at: datetime
    reference: str | None = None
    unanswered_call: bool = False  # a fail-safe call no one answered, rather than a message


def clock_words(when: datetime) -> str:
    """A time in London as said on an alert: '10:42 pm'."""
    return when.astimezone(LONDON).strftime("%I:%M %p").lstrip("0").lower()


def _alert_from(alert: Alert, spoken: bool) -> str:
    if alert.school:
        return alert.school
    if alert.caller and alert.caller.startswith("+"):
        number = national(alert.caller)
        return spoken_digits(number) if spoken else number
    return "a withheld number"


def _alert_news(alert: Alert, spoken: bool) -> str:
    line = SERVICE_NAMES.get(alert.service, "MASH")
    who, at = _alert_from(alert, spoken), clock_words(alert.at)
    if alert.unanswered_call:
        return f"Urgent call for {line} from {who} at {at}: no one answered it."
    return f"Urgent message for {line} from {who}, left at {at}."


def alert_voice_text(alert: Alert) -> str:
    """The alert call's words before the key press: never a child's details, only the school, time and reference."""
    reference = f" Reference {spoken_digits(alert.reference)}." if alert.reference else ""
    return f"{_alert_news(alert, True)}{reference} Press 1 to accept it."


def alert_sms_text(alert: Alert) -> str:
    """The alert text to a duty mobile: a text cannot accept the alert, so it says the call will."""
    reference = f" Reference {alert.reference}." if alert.reference else ""
    return gsm.to_gsm7(f"{SENDER}: {_alert_news(alert, False)}{reference} To accept it, answer our alert call "
                       f"and press 1; until someone does we ring the next duty number.")


def alert_settled_text(accepted_by: str | None, accepted_at: datetime | None) -> str:
    """What a duty number hears when the alert no longer needs them: who accepted it and when, or that it closed."""
    if accepted_at is None:
        return ALERT_ALREADY_CLOSED
    by = spoken_digits(national(accepted_by)) if accepted_by and accepted_by.startswith("+") else "another number"
    return ALERT_ALREADY_ACCEPTED.format(by=by, at=clock_words(accepted_at))
