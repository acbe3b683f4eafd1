"""`ivr contacts ...`: list contacts, set a contact's status, and import the case system's status events."""
from __future__ import annotations

import csv
import getpass
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from contacts.case_events import FIELDS, REQUIRED, import_events
from contacts.overdue import first_promise, overdue_by
from contacts.states import ContactError, save_status
from db.contacts import get_contact_listing, get_contacts_past_promise
from db.session import get_engine, session_scope
from ivr.line_settings import line_at
from routing.hours import LONDON
from routing.vocabulary import OUTCOMES, SERVICE_OUTCOMES, STATUSES


@click.group("contacts")
def contacts_group():
    """Contacts (MASH, EDT, the Infoline, Early Help): references and their status."""


@contacts_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only contacts with this status.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, newest first.")
@click.option("--overdue", is_flag=True,
              help="Only undecided contacts past their first promised time, the oldest promise first, each with "
                   "that time and how long ago it passed.")
@with_appcontext
def list_command(status: str | None, limit: int | None, overdue: bool):
    """One line per contact, newest first: reference, CallSid, school URN, status."""
    if overdue:
        _list_overdue(status, limit)
        return
    with session_scope(current_app.extensions["db_engine"]) as session:
        rows = get_contact_listing(session, status, limit)
    for reference, call_sid, urn, contact_status in rows:
        click.echo(f"{reference}  {call_sid or '-'}  {urn if urn is not None else '-'}  {contact_status}")
    if not rows:
        click.echo("No contacts.", err=True)


def _list_overdue(status: str | None, limit: int | None) -> None:
    now = current_app.config["CLOCK"]()
    with session_scope(current_app.extensions["db_engine"]) as session:
        rows = get_contacts_past_promise(session, now, limit, status)
    for contact, call_sid, _school in rows:
        promised = first_promise(contact)
        click.echo(f"{contact.reference}  {call_sid or '-'}  "
                   f"{contact.school_urn if contact.school_urn is not None else '-'}  {contact.status}  "
                   f"{promised.astimezone(LONDON).isoformat(timespec='minutes')}  {overdue_by(promised, now)} overdue")
    if not rows:
        click.echo("No contacts past their promised time.", err=True)


@contacts_group.command("set-status")
@click.argument("reference")
@click.argument("status")
@click.option("--outcome", help=f"With 'decided': for MASH or EDT one of {', '.join(OUTCOMES)} (or nfa); "
                                f"for the Infoline or Early Help one of {', '.join(SERVICE_OUTCOMES)}.")
@click.option("--reason-code",
              help="The standard reason the DSL is told (`ivr reasons list`); needed for no further action.")
@click.option("--note", "--reason", "note", help="Staff's own note: kept inside, never sent.")
@click.option("--actor", help="Who is making the change (default: cli:<your login name>).")
@with_appcontext
def set_status_command(reference: str, status: str, outcome: str | None, reason_code: str | None, note: str | None,
                       actor: str | None):
    """Move contact REFERENCE to STATUS (received, being_assessed, decided, closed); schedules the callback."""
    app = current_app._get_current_object()
    who = actor or f"cli:{getpass.getuser()}"
    try:
        with session_scope(app.extensions["db_engine"]) as session:
            contact = save_status(session, reference, status, outcome=outcome, reason_code=reason_code, note=note,
                                  actor=who,
                                  settings=line_at(app, app.config["CLOCK"]()).settings, now=app.config["CLOCK"]())
            summary = f"{contact.reference} is now {contact.status}" + (f" ({contact.outcome})" if contact.outcome
                                                                      and contact.status == "decided" else "")
    except ContactError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary + ".")


def _event_rows(file: Path) -> list[tuple[int, dict]]:
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [(name or "").strip().lower() for name in reader.fieldnames or []]
        expected = ("reference", *FIELDS)
        missing = [name for name in ("reference", *REQUIRED) if name not in columns]
        unknown = [name for name in columns if name not in expected]
        if missing or unknown:
            raise click.ClickException(f"{file}: the heading must name the columns {', '.join(expected)} "
                                       f"(outcome and reason_code may be left out); "
                                       + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"))
        reader.fieldnames = columns
        # Each row with the file line it ends on: blank lines are skipped, a quoted cell may span lines.
        return [(reader.line_num, row) for row in reader]


@contacts_group.command("import-events")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report what would happen, changing nothing.")
@with_appcontext
def import_events_command(file: Path, dry_run: bool):
    """Apply the case system's status events from a CSV (reference and the API's fields), in order, row by row."""
    app = current_app._get_current_object()
    rows, now = _event_rows(file), app.config["CLOCK"]()
    with session_scope(get_engine()) as session:
        report = import_events(session, rows, line_at(app, now).settings, now, dry_run=dry_run)
        if dry_run:
            session.rollback()
    for number, why in report.rejected:
        click.echo(f"Row {number}: {why}", err=True)
    click.echo(f"{report.applied} {'would be applied' if dry_run else 'applied'}, {report.repeats} already applied "
               f"(unchanged), {len(report.rejected)} rejected" + (" (a dry run: nothing was changed)." if dry_run
                                                                   else "."))
    if report.rejected:
        raise SystemExit(1)
