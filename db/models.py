"""SQLModel tables: calls and their steps, schools, contacts, messages, callbacks, staff, trials, the line."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from routing.vocabulary import Route, SchoolMatch  # noqa: F401  (the tables store these words)


class School(SQLModel, table=True):
    """A school from the GIAS register."""

    urn: int = Field(primary_key=True)
    name: str
    la_code: Optional[str] = Field(default=None, index=True)
    phase: Optional[str] = None
    postcode: Optional[str] = None
    pupils: Optional[int] = None
    # Per-school override of the callback channel ("sms" or "voice"); None means by number type.
    callback_channel: Optional[str] = None
    updated_at: datetime


class SchoolPhone(SQLModel, table=True):
    """A known phone number of a school; one number may belong to several schools."""

    __table_args__ = (UniqueConstraint("urn", "number", name="uq_schoolphone_urn_number"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    urn: int = Field(foreign_key="school.urn", index=True)
    number: str = Field(index=True)  # E.164
    label: str = "switchboard"


class Dsl(SQLModel, table=True):
    """A school's Designated Safeguarding Lead from the DSL register, with the date of their DSL training."""

    # A re-import finds the DSL again by school and name.
    __table_args__ = (UniqueConstraint("urn", "name", name="uq_dsl_urn_name"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    urn: int = Field(foreign_key="school.urn", index=True)
    name: str = Field(max_length=100)
    trained_on: Optional[date] = None  # the date of their DSL training; None: not trained
    updated_at: datetime


class DslPhone(SQLModel, table=True):
    """A phone number of a DSL; one number may belong to several DSLs."""

    __table_args__ = (UniqueConstraint("dsl_id", "number", name="uq_dslphone_dsl_number"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    dsl_id: int = Field(foreign_key="dsl.id", index=True)
    number: str = Field(index=True, max_length=20)  # E.164
    source: str = Field(default="import", max_length=20)  # "import" or "hand": a re-import keeps hand-added ones


class Call(SQLModel, table=True):
    """One inbound call to the MASH number, keyed by Twilio's CallSid."""

    __table_args__ = (
        Index("ix_call_started_route", "started_at", "route"),
        Index("ix_call_school_started", "school_urn", "started_at"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    call_sid: str = Field(unique=True, index=True, max_length=64)
    caller: Optional[str] = Field(default=None, index=True)  # E.164, "withheld", or None once anonymised
    called: Optional[str] = None
    started_at: datetime = Field(index=True)
    ended_at: Optional[datetime] = None
    duration_s: Optional[int] = None
    in_hours: bool = True
    route: Optional[str] = Field(default=None, index=True)
    service: Optional[str] = None  # the service the caller chose, even if the call ended in a message
    routed_at: Optional[datetime] = None
    transfer_status: Optional[str] = None  # Twilio DialCallStatus of the last transfer
    transfer_duration_s: Optional[int] = None
    call_status: Optional[str] = None  # Twilio CallStatus from the status callback
    school_urn: Optional[int] = Field(default=None, foreign_key="school.urn")
    school_match: Optional[str] = None
    # The registered DSL whose number called (only when exactly one DSL has it): the report's per-DSL measures.
    dsl_id: Optional[int] = Field(default=None, foreign_key="dsl.id", index=True)
    no_input_count: int = 0
    invalid_count: int = 0
    recording_url: Optional[str] = None
    twilio_log_deleted: bool = False  # the call's own log at Twilio (with From) deleted by retention
    recording_deleted: bool = False
    urgent_flag: bool = False  # an urgent message MASH must act on
    trial_id: Optional[int] = Field(default=None, foreign_key="trial.id", index=True)
    variant: Optional[str] = None
    failsafe: bool = False  # the IVR fell back to a direct MASH/EDT transfer after an error
    # A number the caller gave (a mobile for their reference text, or a number to be called back on) until they
    # confirm it (then it is only on the outbox row or the inbox entry) or the call ends: kept here, not in a URL
    # or a step, so it is cleared like the caller's own number.
    text_to: Optional[str] = Field(default=None, max_length=20)
    # The urgent alert about this call (its message, or a fail-safe call no one answered), once a duty number
    # pressed 1: who and when. Set once; it stops the escalation.
    alert_acknowledged_at: Optional[datetime] = None
    alert_acknowledged_by: Optional[str] = Field(default=None, max_length=20)


class CallStep(SQLModel, table=True):
    """One webhook step of a call: the menu step, the keys pressed, when."""

    __table_args__ = (UniqueConstraint("call_id", "dedupe_key", name="uq_callstep_dedupe"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", index=True)
    step: str
    digits: Optional[str] = None
    detail: Optional[str] = None
    at: datetime
    # Hash of the request, so a webhook Twilio delivers twice records one step.
    dedupe_key: str = Field(max_length=64)


class Contact(SQLModel, table=True):
    """A contact with its 6-digit reference, for MASH or another service; references are never reused."""

    # The report's measures read a period's contacts from these alone (index-only), however many there are.
    __table_args__ = (
        Index("ix_contact_created_measures", "created_at", "service", "school_urn", "dsl_id", "outcome"),
        Index("ix_contact_decided_promise", "decided_at", "service", "first_promised_by", "promised_by"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, index=True, max_length=6)
    call_id: Optional[int] = Field(default=None, foreign_key="call.id", unique=True)
    school_urn: Optional[int] = Field(default=None, foreign_key="school.urn", index=True)
    caller: Optional[str] = Field(default=None, index=True)  # option 4 and the live page look contacts up by it
    dsl_id: Optional[int] = Field(default=None, foreign_key="dsl.id")  # the call's DSL, kept here for the measures
    # The line the call was put through to: MASH and EDT contacts are decided, the others note an outcome.
    service: str = Field(default=Route.MASH, sa_column_kwargs={"server_default": Route.MASH}, max_length=20)
    created_at: datetime = Field(index=True)
    status: str = Field(default="received", index=True)
    outcome: Optional[str] = None
    reason: Optional[str] = None  # staff's own note: stays inside, never sent
    reason_code: Optional[str] = Field(default=None, max_length=40)  # the standard reason the DSL is told
    promised_by: Optional[datetime] = None  # what the DSL was last told: moved on while still undecided
    # The first promise, kept when promised_by moves: a decision is on time only by this one.
    first_promised_by: Optional[datetime] = None
    decided_at: Optional[datetime] = Field(default=None, index=True)  # indexed: "promise kept" reads a period


class ContactEvent(SQLModel, table=True):
    """A change of a contact's status, with who made it and when."""

    __table_args__ = (UniqueConstraint("event_id", name="uq_contactevent_event_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    status: str
    outcome: Optional[str] = None
    reason: Optional[str] = None  # staff's own note: stays inside, never sent
    reason_code: Optional[str] = Field(default=None, max_length=40)
    actor: str
    at: datetime  # when it happened: the case system's occurred_at for its events
    # The case system's own id for the event (POST /api/contacts/<reference>/events): a repeat changes nothing.
    event_id: Optional[str] = Field(default=None, max_length=100)


class CasePush(SQLModel, table=True):
    """One push to the case system's webhook (a new contact or a status change), sent until it is accepted."""

    __table_args__ = (Index("ix_casepush_due", "state", "due_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    event_key: str = Field(unique=True, max_length=60)  # "contact:<id>" or "event:<ContactEvent id>": queued once
    kind: str = Field(max_length=20)  # "contact_created" or "status_changed"
    contact_id: int = Field(foreign_key="contact.id", index=True)
    body: str  # the JSON sent, fixed when queued: every try carries, and signs, the same bytes
    state: str = Field(default="pending", max_length=20)  # pending, sending, delivered or failed
    attempts: int = 0
    due_at: datetime
    claimed_by: Optional[str] = Field(default=None, max_length=64)
    claimed_at: Optional[datetime] = None
    last_error: Optional[str] = Field(default=None, max_length=200)
    created_at: datetime
    delivered_at: Optional[datetime] = None


class PushCursor(SQLModel, table=True):
    """How far the new-contact pushes have read the contacts (one row; the first push starts from then on)."""

    id: int = Field(default=1, primary_key=True)
    contact_id: int = 0


class Message(SQLModel, table=True):
    """A recorded message in its service's inbox; the recording itself stays on the call (retention clears it)."""

    __table_args__ = (Index("ix_message_service_state", "service", "state"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", unique=True)  # one entry per call, however often Twilio repeats
    service: str = Field(max_length=20)  # the line it was left for: MASH, EDT, DSL_INFOLINE or EARLY_HELP
    urgent: bool = False
    created_at: datetime = Field(index=True)
    state: str = Field(default="new", max_length=20)
    assigned_to: Optional[str] = Field(default=None, max_length=64)  # a staff username
    updated_at: datetime
    # A recorded message, or a request to be called back (no recording: a number and a target time instead).
    kind: str = Field(default="message", sa_column_kwargs={"server_default": "message"}, max_length=20)
    callback_number: Optional[str] = Field(default=None, max_length=20)  # E.164; retention clears it
    due_by: Optional[datetime] = None  # a callback request's target: CALLBACK_TARGET working hours on


class MessageEvent(SQLModel, table=True):
    """A message moved on: its new state, staff's note (never sent), who and when."""

    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    state: str = Field(max_length=20)
    assigned_to: Optional[str] = Field(default=None, max_length=64)
    note: Optional[str] = Field(default=None, max_length=300)
    actor: str
    at: datetime
    # A "Call back" attempt's outcome (answered, no-answer, busy, failed), or None for a change of state by hand.
    outcome: Optional[str] = Field(default=None, max_length=20)


class StandardReason(SQLModel, table=True):
    """A reason that may be sent to a DSL with a decision; admins add and retire them (never free text)."""

    code: str = Field(primary_key=True, max_length=40)
    text: str = Field(max_length=160)
    active: bool = True
    created_at: datetime


class Callback(SQLModel, table=True):
    """An outbox row: a status SMS or voice call to a DSL, or an urgent alert to a duty number, sent when due."""

    # The second index finds the texts that went to a number today (at most 3 a day).
    __table_args__ = (Index("ix_callback_state_due", "state", "due_at"),
                      Index("ix_callback_to_number_claimed", "to_number", "claimed_at"))
    id: Optional[int] = Field(default=None, primary_key=True)
    contact_id: Optional[int] = Field(default=None, foreign_key="contact.id", index=True)  # None: an urgent alert
    # An urgent alert is about a call (its message, or a fail-safe call no one answered) and is one step of its
    # escalation: step n rings the n-th duty number, round and round the list.
    call_id: Optional[int] = Field(default=None, foreign_key="call.id", index=True)
    alert_step: Optional[int] = None
    kind: str  # reference, decision, still_assessing, closed, urgent_alert
    channel: str  # sms or voice
    to_number: str
    body: str
    due_at: datetime
    state: str = "scheduled"  # scheduled, sending, sent, delivered, failed, cancelled
    attempts: int = 0
    claimed_by: Optional[str] = None
    claimed_at: Optional[datetime] = None
    twilio_sid: Optional[str] = Field(default=None, index=True)
    last_status: Optional[str] = None
    last_error: Optional[str] = None
    # One row per (contact, kind, occasion): a repeated webhook or a second worker cannot schedule it twice.
    dedupe_key: Optional[str] = Field(default=None, unique=True, max_length=96)
    created_at: datetime
    updated_at: datetime


class User(SQLModel, table=True):
    """A member of staff who logs in to the web pages."""

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    password_hash: str
    role: str = "staff"  # staff, supervisor, admin
    phone: Optional[str] = Field(default=None, max_length=20)  # E.164: "Call back" rings this phone first
    failed_logins: int = 0
    locked_until: Optional[datetime] = None
    created_at: datetime


class UserService(SQLModel, table=True):
    """A service (team) a staff account belongs to: staff see those services' inboxes."""

    __table_args__ = (UniqueConstraint("user_id", "service", name="uq_userservice_user_service"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    service: str = Field(max_length=20)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins from one client address in its current window, counted in one atomic statement."""

    address: str = Field(primary_key=True, max_length=64)
    window_started_at: datetime
    failures: int = 0


class ApiToken(SQLModel, table=True):
    """A bearer token for the API, stored only as a hash, with what it may do."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    token_hash: str = Field(unique=True, index=True)
    # Space-separated, as OAuth writes them: "stats:read" (every token made before scopes) and "contacts:write".
    scopes: str = Field(default="stats:read", sa_column_kwargs={"server_default": "stats:read"}, max_length=200)
    created_at: datetime
    last_used_at: Optional[datetime] = None


class AuditEvent(SQLModel, table=True):
    """An audit-log line: logins, status changes, admin actions."""

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor: str
    action: str
    detail: Optional[str] = None


class WorkerHeartbeat(SQLModel, table=True):
    """The last time each worker process was alive."""

    worker_id: str = Field(primary_key=True, max_length=128)
    last_seen: datetime
    # Set while Twilio refuses the worker's credentials (GET /health reports it), cleared by the next send.
    problem: Optional[str] = Field(default=None, max_length=300)


class SmsSuppression(SQLModel, table=True):
    """A number that unsubscribed (Twilio error 21610): nothing more is texted to it."""

    number: str = Field(primary_key=True, max_length=32)
    reason: str = Field(max_length=200)
    since: datetime


# The dashboard's pre-aggregated figures, one set of rows per settled London day (see db/stats.py):
# built once from the calls, so the dashboard reads days, not calls, however many calls there are.
class StatDay(SQLModel, table=True):
    """A London day whose Daily* rows are built; deleting it makes the dashboard rebuild that day."""

    day: date = Field(primary_key=True)
    built_at: datetime
    max_call_id: int = 0  # calls with a higher id were stored later: if one started this day, rebuild it
    # The follow-up rate of the day's contacts, kept once their 14-day windows have all ended.
    follow_up_contacts: Optional[int] = None
    follow_up_followed: Optional[int] = None
    # Of those, the contacts a status update reached before any follow-up, and how many were followed up after it.
    after_callback_contacts: Optional[int] = None
    after_callback_followed: Optional[int] = None


class StatMonth(SQLModel, table=True):
    """A London month of the report's measures; its Monthly* rows are current while built_version equals version."""

    month: date = Field(primary_key=True)  # the month's first day
    version: int = 0  # moved in the same transaction as any change to a contact made or decided this month
    built_version: Optional[int] = None  # the version the Monthly* rows were counted at (None: never built)
    max_contact_id: int = 0  # contacts with a higher id were stored later: if one belongs to this month, rebuild
    built_at: Optional[datetime] = None


class MonthlyOutcomeStat(SQLModel, table=True):
    """A month's MASH and EDT contacts by outcome and by one dimension: a school, a DSL, or a weekday and hour."""

    id: Optional[int] = Field(default=None, primary_key=True)
    month: date = Field(index=True)
    dimension: str = Field(max_length=10)  # "school", "dsl" or "time"
    key: Optional[int] = None  # the URN (None: school unknown), the DSL's id, or London weekday * 24 + hour
    outcome: str = Field(max_length=40)  # or "undecided"
    contacts: int = 0


class MonthlyPromiseStat(SQLModel, table=True):
    """A month's MASH and EDT decisions that had a promise, and how many came by the first promised time."""

    id: Optional[int] = Field(default=None, primary_key=True)
    month: date = Field(index=True)
    service: str = Field(max_length=20)
    decided: int = 0
    kept: int = 0


class MonthlyVerdictStat(SQLModel, table=True):
    """A month's verdict questions by answer ("" when no key was pressed)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    month: date = Field(index=True)
    answer: str = Field(max_length=20)
    asked: int = 0


class DailyRouteStat(SQLModel, table=True):
    """Calls of a day by hours, route, chosen service and transfer outcome ("" when none)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    in_hours: bool
    route: str
    service: str
    transfer_status: str
    calls: int = 0
    no_input_calls: int = 0
    invalid_calls: int = 0
    identified_calls: int = 0


class DailyHourStat(SQLModel, table=True):
    """Calls of a day by hours and Europe/London weekday (0 = Monday) and hour."""

    id: Optional[int] = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    in_hours: bool
    weekday: int
    hour: int
    calls: int = 0


class DailyRouteTimeStat(SQLModel, table=True):
    """Routed calls of a day by whole seconds from answer to route (for the median)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    in_hours: bool
    seconds: int
    calls: int = 0


class DailySchoolStat(SQLModel, table=True):
    """Calls of a day by hours and school: in all, by final route, and urgent (MASH, EDT or an urgent message)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    in_hours: bool
    school_urn: int
    calls: int = 0
    mash: int = 0
    dsl_infoline: int = 0
    early_help: int = 0
    edt: int = 0
    status_check: int = 0
    voicemail: int = 0
    abandoned: int = 0
    in_progress: int = 0
    urgent: int = 0


class Trial(SQLModel, table=True):
    """A trial of menu wordings: variants, allocation shares and dates."""

    # Every new call looks up the trial running now by its window.
    __table_args__ = (Index("ix_trial_window", "starts_at", "ends_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    variants: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    allocation: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    control: str = "control"
    # What is allocated: each caller, or each school (callers of an unknown school fall back to by caller).
    unit: str = Field(default="caller", sa_column_kwargs={"server_default": "caller"}, max_length=20)
    starts_at: datetime
    ends_at: datetime
    stopped_at: Optional[datetime] = None
    created_at: datetime


class LineConfig(SQLModel, table=True):
    """The line's settings that supervisors change (one row); every process reloads when its revision moves."""

    id: int = Field(default=1, primary_key=True)
    revision: int = 0
    hours: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # route -> hours spec
    numbers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # route -> E.164
    emergency: bool = False
    emergency_say: Optional[str] = None
    menu_version: Optional[int] = None  # the published MenuVersion; None plays the poster's default wording
    updated_at: datetime
    updated_by: str = Field(max_length=128)


class LineNotice(SQLModel, table=True):
    """A dated sentence: a service's closure (kind "closure") or an announcement after option 1."""

    __table_args__ = (Index("ix_linenotice_current", "removed_at", "ends_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # "closure" or "announcement"
    service: Optional[str] = Field(default=None, max_length=20)  # a closure's route
    say: str = Field(max_length=200)
    reason: Optional[str] = Field(default=None, max_length=200)  # a closure's reason, for staff (never spoken)
    starts_at: datetime
    ends_at: datetime
    created_by: str = Field(max_length=128)
    created_at: datetime
    removed_at: Optional[datetime] = None
    removed_by: Optional[str] = Field(default=None, max_length=128)


class MenuVersion(SQLModel, table=True):
    """One version of the menu's wording: a draft until published; any earlier one can be restored."""

    version: Optional[int] = Field(default=None, primary_key=True)
    texts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # sentence name -> text
    note: Optional[str] = Field(default=None, max_length=200)
    created_by: str = Field(max_length=128)
    created_at: datetime
    published_at: Optional[datetime] = None  # the last time it was published


class Verdict(SQLModel, table=True):
    """A DSL's answer to "did this answer your question?" after a voice status callback or option 4's status."""

    # One question per callback call or per inbound call, however often Twilio repeats a webhook.
    # The second index lets a period's answers be counted from the index alone.
    __table_args__ = (UniqueConstraint("source", "source_id", name="uq_verdict_source"),
                      Index("ix_verdict_asked_answer", "asked_at", "answer"))
    id: Optional[int] = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)  # "callback" (source_id: Callback.id) or "status_check" (source_id: Call.id)
    source_id: int
    contact_id: Optional[int] = Field(default=None, foreign_key="contact.id", index=True)
    asked_at: datetime = Field(index=True)
    answer: Optional[str] = Field(default=None, max_length=20)  # "answered" (pressed 1), "needs_more" (2), None
    answered_at: Optional[datetime] = None
