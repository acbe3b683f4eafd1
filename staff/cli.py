"""`ivr users ...` and `ivr tokens ...`: staff accounts and API tokens."""
from __future__ import annotations

import getpass
import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from db.audit import save_audit_event
from db.session import session_scope
from db.users import (delete_token, get_services_by_user, get_token_by_name, get_tokens, get_user_by_name, get_users,
                      save_token, save_user_services)
from ivr.clock import app_now
from routing.hours import LONDON
from staff.api_auth import SCOPES, STATS_READ, new_token, token_hash
from messages.inbox import SERVICES
from routing.phone import mask_number
from staff.auth import MIN_PASSWORD_LENGTH, ROLES, UserError, check_phone, check_services, create_user


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _when(moment: datetime | None) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") if moment else "never"


def _engine():
    return current_app.extensions["db_engine"]


def _find(lookup, session, name: str, what: str):
    """The account or token called `name`, or a clear error."""
    found = lookup(session, name)
    if found is None:
        raise click.ClickException(f"no {what} named {name!r}")
    return found


@click.group("users")
def users_group():
    """Staff accounts for the web pages (roles: staff, supervisor, admin)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True,
              help="staff: calls and contacts; supervisor: also the dashboard and exports; admin: everything.")
@click.option("--service", "services", multiple=True, type=click.Choice(SERVICES),
              help="A service (team) whose message inbox a staff account sees; repeat for more.")
@click.option("--phone", help="The account's own UK phone: \"Call back\" on a callback request rings it first.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@with_appcontext
def add_user(name: str, role: str, services: tuple[str, ...], phone: str | None, password_stdin: bool):
    """Add the account NAME; the password is asked twice at the prompt (or read with --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"Password for {name} (at least {MIN_PASSWORD_LENGTH} characters)",
                                hide_input=True, confirmation_prompt=True)
    try:
        with session_scope(_engine()) as session:
            user = create_user(session, name, password, role, app_now(), actor=_actor(), services=list(services),
                               phone=phone)
            username = user.username
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Added {username} ({role}). They sign in at /login.")


@users_group.command("list")
@with_appcontext
def list_users():
    """One line per account: username, role, services, created, locked until."""
    with session_scope(_engine()) as session:
        users, teams = get_users(session), get_services_by_user(session)
        for user in users:
            locked_now = user.locked_until is not None and user.locked_until > app_now()
            locked = f"  locked until {_when(user.locked_until)}" if locked_now else ""
            services = ",".join(teams.get(user.id, [])) or "-"
            click.echo(f"{user.username}  {user.role}  {services}  created {_when(user.created_at)}{locked}")
    if not users:
        click.echo("No accounts yet: add one with `ivr users add NAME --role admin`.", err=True)


@users_group.command("unlock")
@click.argument("name")
@with_appcontext
def unlock_user(name: str):
    """Let NAME sign in again at once after too many failed sign-ins."""
    with session_scope(_engine()) as session:
        user = _find(get_user_by_name, session, name, "account")
        user.failed_logins, user.locked_until = 0, None
        save_audit_event(session, _actor(), "user_unlocked", user.username, at=app_now())
    click.echo(f"Unlocked {name}.")


@users_group.command("set-services")
@click.argument("name")
@click.argument("services", nargs=-1, metavar="[SERVICE]...")
@with_appcontext
def set_services(name: str, services: tuple[str, ...]):
    """Make SERVICE... the teams of NAME (MASH, DSL_INFOLINE, EARLY_HELP, EDT); none leaves it in no team."""
    try:
        teams = check_services(list(services))
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    with session_scope(_engine()) as session:
        user = _find(get_user_by_name, session, name, "account")
        save_user_services(session, user.id, teams)
        save_audit_event(session, _actor(), "user_services", f"{user.username}: {','.join(teams) or 'none'}",
                         at=app_now())
    click.echo(f"{name} is in {', '.join(teams) or 'no team'}.")


@users_group.command("set-phone")
@click.argument("name")
@click.argument("number", required=False, default="")
@with_appcontext
def set_phone(name: str, number: str):
    """Make NUMBER (a UK phone) the one "Call back" rings for NAME; no NUMBER removes it."""
    try:
        phone = check_phone(number)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    with session_scope(_engine()) as session:
        user = _find(get_user_by_name, session, name, "account")
        user.phone = phone
        # The audit log names the account, not the number: it outlives the account's details.
        save_audit_event(session, _actor(), "user_phone", f"{user.username}: {'set' if phone else 'removed'}",
                         at=app_now())
    click.echo(f"{name}'s phone is {mask_number(phone)}." if phone else f"{name} has no phone now.")


@click.group("tokens")
def tokens_group():
    """API tokens: stats:read for GET /api/stats (Power BI, scripts), contacts:write for the case system."""


@tokens_group.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES),
              help=f"What the token may do (repeat for more); default {STATS_READ}.")
@with_appcontext
def create_token(name: str, scopes: tuple[str, ...]):
    """Make a token called NAME and print it once (only a hash is kept)."""
    name = name.strip()
    if not name or len(name) > 64:
        raise click.ClickException("the token name must be 1-64 characters")
    token = new_token()
    granted = " ".join(s for s in SCOPES if s in (scopes or (STATS_READ,)))
    with session_scope(_engine()) as session:
        if get_token_by_name(session, name) is not None:
            raise click.ClickException(f"a token named {name!r} already exists (revoke it first)")
        save_token(session, name, token_hash(token), app_now(), granted)
        save_audit_event(session, _actor(), "token_created", f"{name} ({granted})", at=app_now())
    click.echo(f"Token {name}: {token}")
    click.echo(f"Scopes: {granted}. Copy it now: it is not shown again. Use it as 'Authorization: Bearer TOKEN'.",
               err=True)


@tokens_group.command("list")
@with_appcontext
def list_tokens():
    """One line per token: name, created, last used, scopes (never the token)."""
    with session_scope(_engine()) as session:
        tokens = get_tokens(session)
        for token in tokens:
            click.echo(f"{token.name}  created {_when(token.created_at)}  last used {_when(token.last_used_at)}"
                       f"  scopes {token.scopes}")
    if not tokens:
        click.echo("No API tokens.", err=True)


@tokens_group.command("revoke")
@click.argument("name")
@with_appcontext
def revoke_token(name: str):
    """Delete the token NAME: requests using it get 401 from then on."""
    with session_scope(_engine()) as session:
        delete_token(session, _find(get_token_by_name, session, name, "token"))
        save_audit_event(session, _actor(), "token_revoked", name, at=app_now())
    click.echo(f"Revoked {name}.")
