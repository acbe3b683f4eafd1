"""`ivr line ...` and `ivr menu ...`: the line's settings and the menu's versions from the command line.

Each command prints what it changed; a refused change exits 1, changes nothing, and names the rule it broke."""
from __future__ import annotations

from pathlib import Path

import click
import yaml
from flask.cli import with_appcontext

from db.line import get_menu_versions
from db.session import get_engine, session_scope
from ivr.clock import app_now
from ivr.line_settings import line_cache, load_state
from line.changes import (ANNOUNCEMENT, CLOSURE, DEFAULT_VERSION, LineRefused, add_announcement, add_closure,
                          locked_state, publish, remove_notice, save_draft, set_emergency, set_hours, set_number)
from routing.hours import LONDON, london_moment
from routing.line import LINES, SERVICES_WITH_HOURS

CLI_ACTOR = "cli"


def _refused(errors: list[str]) -> None:
    for error in errors:
        click.echo(f"Refused: {error}", err=True)
    raise SystemExit(1)


def _moment(raw: str, option: str, is_end: bool = False):
    try:
        return london_moment(raw, is_end)
    except ValueError:
        _refused([f"{option}: {raw!r} is not an ISO date or date and time, e.g. 2026-12-24T13:00"])


def _change(work) -> None:
    """Run one change in its own transaction and print what it changed; a refusal exits 1 having changed nothing."""
    try:
        with session_scope(get_engine()) as session:
            message = work(session, line_cache().defaults.state, app_now())
    except LineRefused as exc:
        _refused(exc.errors)
    click.echo(message)


def _london(when) -> str:
    return when.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


@click.group("line")
def line_group():
    """The line's settings: hours, closures, announcements, emergency mode and numbers."""


@line_group.command("show")
@with_appcontext
def show_command():
    """Print every setting a call uses now, and what is coming."""
    now = app_now()
    with session_scope(get_engine()) as session:
        state = load_state(session, line_cache().defaults.state, now)
    click.echo(f"Revision {state.revision}; menu: "
               + (f"version {state.menu_version}" if state.menu_version else "the default wording"))
    click.echo(f"Emergency mode: {'on: ' + repr(state.emergency_say) if state.emergency else 'off'}")
    for service in SERVICES_WITH_HOURS:
        click.echo(f"{service} hours: {state.hours[service].spec} ({'open' if state.is_open(service, now) else 'closed'}"
                   " now)")
    for route in LINES:
        click.echo(f"{route} number: {state.numbers[route]}")
    for closure in state.closures:
        click.echo(f"Closure {closure.id}: {closure.service} {_london(closure.starts_at)} to "
                   f"{_london(closure.ends_at)}" + (f" ({closure.reason})" if closure.reason else "")
                   + f": {closure.say!r}")
    for notice in state.announcements:
        click.echo(f"Announcement {notice.id}: {_london(notice.starts_at)} to {_london(notice.ends_at)}: "
                   f"{notice.say!r}")


@line_group.command("hours")
@click.argument("service")
@click.argument("spec")
@with_appcontext
def hours_command(service: str, spec: str):
    """Set a service's weekly hours, e.g. "Mon-Fri 09:00-16:00" (bank holidays stay closed)."""
    _change(lambda session, defaults, now: "Changed " + set_hours(session, defaults, service, spec, CLI_ACTOR, now))


@line_group.command("number")
@click.argument("service")
@click.argument("number")
@with_appcontext
def number_command(service: str, number: str):
    """Set the number a service's calls are put through to (a UK number)."""
    _change(lambda session, defaults, now: "Changed " + set_number(session, defaults, service, number, CLI_ACTOR,
                                                                   now))


@line_group.group("closure")
def closure_group():
    """Dated closures of one service."""


@closure_group.command("add")
@click.option("--service", required=True, help="MASH, DSL_INFOLINE or EARLY_HELP")
@click.option("--from", "starts", required=True, help="ISO date or date and time (Europe/London)")
@click.option("--to", "ends", required=True, help="ISO date (inclusive) or date and time")
@click.option("--say", required=True, help="The sentence callers hear when they choose the closed service")
@click.option("--reason", default=None, help="Why it is closed, for staff (never spoken)")
@with_appcontext
def closure_add_command(service: str, starts: str, ends: str, say: str, reason: str | None):
    """Close a service from --from to --to: its callers hear --say and may leave a message."""
    starts_at, ends_at = _moment(starts, "--from"), _moment(ends, "--to", is_end=True)

    def work(session, defaults, now):
        notice = add_closure(session, defaults, service, starts_at, ends_at, say, CLI_ACTOR, now, reason)
        return (f"Closure {notice.id} added: {notice.service} closed {_london(starts_at)} to {_london(ends_at)}, "
                f"saying {notice.say!r}")
    _change(work)


@closure_group.command("remove")
@click.argument("closure_id", type=int)
@with_appcontext
def closure_remove_command(closure_id: int):
    """End a closure now."""
    _change(lambda session, defaults, now: "Removed " + remove_notice(session, defaults, CLOSURE, closure_id,
                                                                      CLI_ACTOR, now))


@line_group.command("announce")
@click.option("--say", required=True, help="Spoken after option 1")
@click.option("--from", "starts", required=True, help="ISO date or date and time (Europe/London)")
@click.option("--to", "ends", required=True, help="ISO date (inclusive) or date and time")
@with_appcontext
def announce_command(say: str, starts: str, ends: str):
    """Speak an announcement after option 1 from --from to --to."""
    starts_at, ends_at = _moment(starts, "--from"), _moment(ends, "--to", is_end=True)

    def work(session, defaults, now):
        notice = add_announcement(session, defaults, say, starts_at, ends_at, CLI_ACTOR, now)
        return f"Announcement {notice.id} added: {notice.say!r} {_london(starts_at)} to {_london(ends_at)}"
    _change(work)


@line_group.command("announcement-remove")
@click.argument("announcement_id", type=int)
@with_appcontext
def announcement_remove_command(announcement_id: int):
    """End an announcement now."""
    _change(lambda session, defaults, now: "Removed " + remove_notice(session, defaults, ANNOUNCEMENT,
                                                                      announcement_id, CLI_ACTOR, now))


@line_group.command("emergency")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option("--say", default=None, help="Its sentence, spoken after option 1")
@with_appcontext
def emergency_command(state: str, say: str | None):
    """Emergency mode: every key reaches MASH (EDT out of hours), for when a service's phones are down."""
    if state == "off" and say:
        _refused(["--say goes with `on`: turning emergency mode off keeps its sentence for next time"])
    _change(lambda session, defaults, now: "Changed " + set_emergency(session, defaults, state == "on", say,
                                                                      CLI_ACTOR, now))


@click.group("menu")
def menu_group():
    """The menu's wording, in published versions."""


@menu_group.command("versions")
@with_appcontext
def versions_command():
    """Every version, the newest first, marking the one that plays."""
    with session_scope(get_engine()) as session:
        playing = load_state(session, line_cache().defaults.state, app_now()).menu_version
        versions = get_menu_versions(session)
    for version in versions:
        status = ("published (playing)" if version.version == playing
                  else f"published {_london(version.published_at)}" if version.published_at else "draft")
        click.echo(f"{version.version}  {status}  by {version.created_by} {_london(version.created_at)}"
                   + (f"  {version.note}" if version.note else ""))
    click.echo(f"{DEFAULT_VERSION}  {'published (playing)' if playing is None else 'the default wording'}  "
               "the council's poster (restore it with `ivr menu rollback 0`)")


@menu_group.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def publish_command(file: Path):
    """Publish a wording from YAML (sentence name: text; unnamed sentences keep the playing version's)."""
    try:
        texts = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: not valid YAML ({exc})") from None
    if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
        raise click.ClickException(f"{file}: give a mapping of sentence names to text, e.g. option2: \"...\"")
    note = texts.pop("note", None) or f"from {file.name}"

    def work(session, defaults, now):
        base = locked_state(session, defaults, now).wording  # locked first: the playing wording cannot move under it
        version = save_draft(session, texts, note, CLI_ACTOR, now, base)
        return f"Published version {version.version}: " + publish(session, defaults, version.version, CLI_ACTOR, now)
    _change(work)


@menu_group.command("rollback")
@click.argument("version", type=int)
@with_appcontext
def rollback_command(version: int):
    """Play an earlier published version again, from the next call (0: the poster's default wording)."""
    _change(lambda session, defaults, now: "Rolled back: " + publish(session, defaults, version, CLI_ACTOR, now,
                                                                     rollback=True))
