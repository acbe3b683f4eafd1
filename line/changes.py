"""Every change a supervisor makes to the line, from the pages or the CLI: checked against the rules, audited
(who, when, before -> after) and moving the revision. A refused change raises LineRefused and changes nothing."""
from __future__ import annotations

from datetime import datetime

from db.audit import save_audit_event
from db.line import get_menu_version, get_notice, lock_line_config, save_line_config, save_menu_version, save_notice
from db.models import LineConfig, LineNotice, MenuVersion
from db.trials import get_trials
from ivr.config import ConfigError, normalise_uk_number
from ivr.line_settings import load_state
from routing.hours import LONDON, OpeningHours, OpeningHoursError
from routing.line import LINES, SERVICES_WITH_HOURS, LineState
from routing.menu import DEFAULT_WORDING, Wording, wording_from
from routing.menu_rules import broken, check_emergency, check_line, check_notice, check_wording
from routing.vocabulary import Route

CLOSURE, ANNOUNCEMENT = "closure", "announcement"
DEFAULT_VERSION = 0  # the poster's default wording, which plays until a version is published
RULE_EDT_ANSWERS = "the Emergency Duty Team answers whenever MASH is closed"


class LineRefused(ValueError):
    """A change that would break a rule or is not valid; each message names what is wrong."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = list(errors)


def _refuse_if(errors: list[str]) -> None:
    if errors:
        raise LineRefused(errors)


def _config(session, defaults: LineState, now: datetime) -> LineConfig:
    """The settings row, locked for this change before anything is checked, so two changes at once queue; the first
    change writes the defaults it started from."""
    return lock_line_config(session, LineConfig(id=1, hours={s: h.spec for s, h in defaults.hours.items()},
                                                numbers=dict(defaults.numbers), updated_at=now, updated_by="defaults"))


def locked_state(session, defaults: LineState, now: datetime) -> LineState:
    """The line as it is, with the settings row locked until this transaction commits: for a change checked
    against it elsewhere (a trial, a published file), so nothing saved at the same moment escapes the check."""
    _config(session, defaults, now)
    return load_state(session, defaults, now)


def spoken_notices(state: LineState) -> tuple[str, ...]:
    """Every sentence that may be spoken after option 1, now or to come: announcements and MASH's closures."""
    return tuple(n.say for n in (*state.announcements, *(c for c in state.closures if c.service == Route.MASH)))


def _trial_variants(session, now: datetime) -> dict[str, dict]:
    """Each running or future trial's variants, labelled for a refusal."""
    return {f"trial {trial.name} variant {name}": overrides for trial in get_trials(session)
            if min(trial.ends_at, trial.stopped_at or trial.ends_at) > now for name, overrides in trial.variants.items()}


def _line_problems(session, state: LineState, now: datetime, wording: Wording | None = None,
                   notice: str | None = None) -> list[str]:
    """The whole line's rules with one thing changed: the wording, every trial variant of it, with each notice."""
    notices = spoken_notices(state) + ((notice,) if notice else ())
    return check_line(wording or state.wording, notices, _trial_variants(session, now))


def _save(session, config: LineConfig, actor: str, now: datetime, action: str, detail: str) -> str:
    save_line_config(session, config, actor, now)
    save_audit_event(session, actor, action, detail, at=now)
    return detail


def _london(when: datetime) -> str:
    return when.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def _service(service: str, allowed=SERVICES_WITH_HOURS) -> str:
    name = (service or "").strip().upper()
    if name not in allowed:
        raise LineRefused([f"service: {service!r} is not one of {', '.join(allowed)}"])
    return name


def set_hours(session, defaults: LineState, service: str, spec: str, actor: str, now: datetime) -> str:
    """Change one service's weekly opening hours (bank holidays stay closed)."""
    service = _service(service)
    try:
        hours = OpeningHours.parse(" ".join((spec or "").split()))
    except OpeningHoursError as exc:
        raise LineRefused([f"hours: {exc}"]) from None
    config = _config(session, defaults, now)
    before = config.hours.get(service, defaults.hours[service].spec)
    config.hours = {**config.hours, service: hours.spec}
    return _save(session, config, actor, now, "line_hours", f"{service} hours: {before} -> {hours.spec}")


def set_number(session, defaults: LineState, route: str, number: str, actor: str, now: datetime) -> str:
    """Change the number a service's calls are put through to (a valid UK number, kept in E.164)."""
    route = _service(route, LINES)
    try:
        e164 = normalise_uk_number((number or "").strip(), f"{route} number")
    except ConfigError as exc:
        raise LineRefused([str(exc)]) from None
    config = _config(session, defaults, now)
    before = config.numbers.get(route, defaults.numbers[route])
    config.numbers = {**config.numbers, route: e164}
    return _save(session, config, actor, now, "line_number", f"{route} number: {before} -> {e164}")


def set_emergency(session, defaults: LineState, on: bool, say: str | None, actor: str, now: datetime) -> str:
    """Turn emergency mode on (every key reaches MASH, EDT out of hours, after its sentence) or off."""
    config = _config(session, defaults, now)
    state = load_state(session, defaults, now)
    # Turning it off keeps the sentence for next time: a new one is given, and checked, with `on`.
    sentence = " ".join(((say if on else None) or config.emergency_say or state.emergency_say).split())
    if on:
        _refuse_if(check_emergency(state.wording, sentence))
    if config.emergency == on and (not on or sentence == config.emergency_say):
        raise LineRefused([f"emergency mode is already {'on, with that sentence' if on else 'off'}"])
    before = f"on ({config.emergency_say or state.emergency_say})" if config.emergency else "off"
    config.emergency, config.emergency_say = on, sentence
    after = f"on ({sentence})" if on else "off"
    return _save(session, config, actor, now, "line_emergency", f"emergency mode: {before} -> {after}")


def _window(starts_at: datetime, ends_at: datetime, now: datetime) -> list[str]:
    if ends_at <= starts_at:
        return ["to: must be after from"]
    if ends_at <= now:
        return ["to: that time has passed"]
    return []


def add_closure(session, defaults: LineState, service: str, starts_at: datetime, ends_at: datetime, say: str,
                actor: str, now: datetime, reason: str | None = None) -> LineNotice:
    """Close one service for a while (`reason` is for staff); its callers hear `say` and may leave a message."""
    if (service or "").strip().upper() == "EDT":
        raise LineRefused([broken(RULE_EDT_ANSWERS, "it cannot be closed: urgent calls out of hours go there")])
    service, say = _service(service), " ".join((say or "").split())
    _refuse_if(_window(starts_at, ends_at, now) + check_notice(say, "closure sentence"))
    config = _config(session, defaults, now)
    if service == Route.MASH:  # spoken after option 1, in the announcement's place
        _refuse_if(_line_problems(session, load_state(session, defaults, now), now, notice=say))
    reason = " ".join((reason or "").split())[:200] or None
    notice = save_notice(session, LineNotice(kind=CLOSURE, service=service, say=say, reason=reason,
                                             starts_at=starts_at, ends_at=ends_at, created_by=actor, created_at=now))
    _save(session, config, actor, now, "line_closure_added", f"closure {notice.id}: none -> {service} closed "
          f"{_london(starts_at)} to {_london(ends_at)}" + (f" ({reason})" if reason else "") + f", saying {say!r}")
    return notice


def add_announcement(session, defaults: LineState, say: str, starts_at: datetime, ends_at: datetime, actor: str,
                     now: datetime) -> LineNotice:
    """An announcement spoken after option 1 from `starts_at` until `ends_at`, if the menu stays short enough."""
    say = " ".join((say or "").split())
    _refuse_if(_window(starts_at, ends_at, now) + check_notice(say, "announcement"))
    config = _config(session, defaults, now)
    _refuse_if(_line_problems(session, load_state(session, defaults, now), now, notice=say))
    notice = save_notice(session, LineNotice(kind=ANNOUNCEMENT, say=say, starts_at=starts_at, ends_at=ends_at,
                                             created_by=actor, created_at=now))
    _save(session, config, actor, now, "line_announcement_added", f"announcement {notice.id}: none -> "
          f"{say!r} {_london(starts_at)} to {_london(ends_at)}")
    return notice


def remove_notice(session, defaults: LineState, kind: str, notice_id: int, actor: str, now: datetime) -> str:
    """End a closure or an announcement now (kept, marked removed, for the record)."""
    config = _config(session, defaults, now)
    notice = get_notice(session, notice_id, kind)
    if notice is None or notice.removed_at is not None:
        raise LineRefused([f"no {kind} {notice_id} in force (see `ivr line show`)"])
    notice.removed_at, notice.removed_by = now, actor
    what = f"{notice.service} closed" if kind == CLOSURE else repr(notice.say)
    return _save(session, config, actor, now, f"line_{kind}_removed", f"{kind} {notice.id}: {what} -> removed")


def save_draft(session, texts: dict, note: str | None, actor: str, now: datetime, base: Wording) -> MenuVersion:
    """A new draft version: `base` with the given sentences changed, refused if it breaks a rule."""
    try:
        wording = wording_from(texts, base)
    except ValueError as exc:
        raise LineRefused([str(exc)]) from None
    _refuse_if(check_wording(wording))
    version = save_menu_version(session, MenuVersion(texts=wording.texts(), note=(note or "").strip()[:200] or None,
                                                     created_by=actor, created_at=now))
    save_audit_event(session, actor, "menu_draft_saved", f"menu version {version.version}: none -> draft", at=now)
    return version


def publish(session, defaults: LineState, version_number: int, actor: str, now: datetime,
            rollback: bool = False) -> str:
    """Play a version from the next call (a rollback restores an earlier one, version 0 the poster's default
    wording), if the whole line then keeps every rule."""
    config = _config(session, defaults, now)
    state = load_state(session, defaults, now)
    version = None if version_number == DEFAULT_VERSION else get_menu_version(session, version_number)
    if version is None and version_number != DEFAULT_VERSION:
        raise LineRefused([f"no menu version {version_number} (see `ivr menu versions`)"])
    if (state.menu_version or DEFAULT_VERSION) == version_number:
        raise LineRefused([f"menu version {version_number} is already published"])
    if rollback is False and version is None:
        raise LineRefused(["version 0 is the default wording: restore it with rollback 0"])
    if rollback and version is not None and not version.published_at:
        raise LineRefused([f"menu version {version_number} was never published; publish it instead"])
    wording = wording_from(version.texts) if version else DEFAULT_WORDING
    _refuse_if(_line_problems(session, state, now, wording=wording)
               or (check_emergency(wording, state.emergency_say) if state.emergency else []))
    config.menu_version = version.version if version else None
    if version is not None:
        version.published_at = now
        session.add(version)
    before = f"version {state.menu_version}" if state.menu_version else "the default wording"
    after = f"version {version_number}" if version else "the default wording (version 0)"
    action = "menu_rolled_back" if rollback else "menu_published"
    return _save(session, config, actor, now, action, f"menu: {before} -> {after}")
