"""/reasons (admins): the standard reasons a decision may be sent with, so free text never reaches a DSL."""
from __future__ import annotations

import re

import click
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.cli import with_appcontext

from db.audit import save_audit_event
from db.reasons import get_reason, get_reasons, save_reason
from db.session import get_session, session_scope
from staff.auth import current_user, login_required
from staff.errors import error_pages

bp = Blueprint("reasons", __name__)
error_pages(bp)
CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")
MAX_TEXT = 160


class ReasonError(ValueError):
    """A standard reason that cannot be saved; the message says why."""


def add_reason(session, code: str, text: str, actor: str, now) -> None:
    """Add a standard reason after checking it (audited); the caller commits."""
    code, text = code.strip().lower(), " ".join(text.split())
    if not CODE.fullmatch(code):
        raise ReasonError("The code must be 2-40 lower-case letters, digits or _, starting with a letter.")
    if not text or len(text) > MAX_TEXT:
        raise ReasonError(f"The wording must be 1-{MAX_TEXT} characters. It is sent to DSLs: no child's details.")
    get_reasons(session, now)  # the defaults exist before the first addition
    if get_reason(session, code) is not None:
        raise ReasonError(f"A reason with the code {code!r} already exists.")
    save_reason(session, code, text, now)
    save_audit_event(session, actor, "reason_added", f"{code}: {text}", at=now)


def set_active(session, code: str, active: bool, actor: str, now) -> None:
    """Retire a reason (kept for the decisions already sent with it) or bring it back; audited."""
    reason = get_reason(session, code)
    if reason is None:
        raise ReasonError(f"No standard reason has the code {code!r}.")
    reason.active = active
    save_audit_event(session, actor, "reason_restored" if active else "reason_retired", code, at=now)


@bp.route("/reasons", methods=["GET", "POST"])
@login_required(role="admin")
def index():
    """The list of standard reasons, with a form to add one."""
    db, now, error = get_session(), current_app.config["CLOCK"](), None
    form = {key: request.form.get(key, "") for key in ("code", "text")}
    if request.method == "POST":
        try:
            add_reason(db, form["code"], form["text"], current_user().username, now)
            db.commit()
            flash(f"Standard reason {form['code'].strip().lower()} added.")
            return redirect(url_for("reasons.index"))
        except ReasonError as exc:
            db.rollback()
            error = str(exc)
    reasons = get_reasons(db, now, active_only=False)
    db.commit()
    return render_template("reasons.html", reasons=reasons, error=error, form=form), 400 if error else 200


@bp.post("/reasons/<code>/active")
@login_required(role="admin")
def toggle(code: str):
    """Retire or restore a reason."""
    db = get_session()
    try:
        set_active(db, code, request.form.get("active") == "1", current_user().username, current_app.config["CLOCK"]())
    except ReasonError as exc:
        return render_template("error.html", title="Not found", message=str(exc)), 404
    db.commit()
    return redirect(url_for("reasons.index"))


@click.group("reasons")
def reasons_group():
    """The standard reasons a decision may be sent to a DSL with."""


@reasons_group.command("list")
@with_appcontext
def list_command():
    """Every standard reason: code, active or retired, wording."""
    with session_scope(current_app.extensions["db_engine"]) as session:
        for reason in get_reasons(session, current_app.config["CLOCK"](), active_only=False):
            click.echo(f"{reason.code:20} {'active ' if reason.active else 'retired'} {reason.text}")


def _change(change, *args) -> None:
    """Run one change from the command line in its own transaction; a refused one exits 1 and changes nothing."""
    try:
        with session_scope(current_app.extensions["db_engine"]) as session:
            change(session, *args, "cli", current_app.config["CLOCK"]())
    except ReasonError as exc:
        raise click.ClickException(str(exc)) from None


@reasons_group.command("add")
@click.argument("code")
@click.argument("text")
@with_appcontext
def add_command(code: str, text: str):
    """Add a standard reason CODE with the wording TEXT that DSLs are sent."""
    _change(add_reason, code, text)
    click.echo(f"Added {code}.")


@reasons_group.command("retire")
@click.argument("code")
@with_appcontext
def retire_command(code: str):
    """Stop offering a standard reason (decisions already sent keep it)."""
    _change(set_active, code, False)
    click.echo(f"Retired {code}.")
