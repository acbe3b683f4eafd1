"""`ivr messages ...`: list an inbox, and move a message on."""
from __future__ import annotations

import getpass

import click
from flask import current_app
from flask.cli import with_appcontext

from db.messages import get_messages
from db.session import session_scope
from messages.inbox import ALL, SERVICES, age, chosen_services, chosen_states
from messages.states import MessageError, save_state
from routing.hours import LONDON
from routing.vocabulary import MESSAGE_STATES


@click.group("messages")
def messages_group():
    """The message inbox of every service: list it, and move a message on."""


@messages_group.command("list")
@click.option("--service", type=click.Choice(SERVICES), help="Only this service's inbox.")
@click.option("--state", type=click.Choice((*MESSAGE_STATES, ALL)),
              help="Only messages in this state (default: every state but closed; 'all' for every one).")
@with_appcontext
def list_command(service: str | None, state: str | None):
    """One line per message, oldest first: id, left at, age, service, urgent, state (and to whom), CallSid."""
    now = current_app.config["CLOCK"]()
    with session_scope(current_app.extensions["db_engine"]) as session:
        rows = get_messages(session, chosen_services(None, service), chosen_states(state))
    for message, call, _school in rows:
        to = f" {message.assigned_to}" if message.assigned_to else ""
        click.echo(f"{message.id}  {message.created_at.astimezone(LONDON).isoformat(timespec='minutes')}  "
                   f"{age(message.created_at, now)}  {message.service}  {'urgent' if message.urgent else '-'}  "
                   f"{message.state}{to}  {call.call_sid}")
    if not rows:
        click.echo("No messages.", err=True)


@messages_group.command("set-state")
@click.argument("message_id", metavar="ID", type=int)
@click.argument("state")
@click.option("--assignee", help="With 'assigned': the username of the member of staff it is for.")
@click.option("--note", help="Staff's own note on the step: kept inside, never sent.")
@click.option("--actor", help="Who is making the change (default: cli:<your login name>).")
@with_appcontext
def set_state_command(message_id: int, state: str, assignee: str | None, note: str | None, actor: str | None):
    """Move message ID to STATE (new, assigned, called_back, closed): forward only."""
    app = current_app._get_current_object()
    try:
        with session_scope(app.extensions["db_engine"]) as session:
            message = save_state(session, message_id, state, assignee=assignee, note=note,
                                 actor=actor or f"cli:{getpass.getuser()}", now=app.config["CLOCK"]())
            summary = f"Message {message.id} is now {message.state}" + (
                f" ({message.assigned_to})" if message.state == "assigned" else "")
    except MessageError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary + ".")
