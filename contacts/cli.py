"""`ivr contacts ...`: list contacts, and set a contact's status."""
from __future__ import annotations

import getpass

import click
from flask import current_app
from flask.cli import with_appcontext

from contacts.overdue import first_promise, overdue_by
from contacts.states import ContactError, save_status
from db.contacts import get_contact_listing, get_contacts_past_promise
from db.session import session_scope
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
