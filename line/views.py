"""Supervisor pages: the line's settings (/line) and the menu's versions (/menu); thin over line.changes."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from db.line import get_menu_version, get_menu_versions
from db.models import MenuVersion
from db.session import get_session
from ivr.clock import app_now
from ivr.line_settings import line_cache, load_state
from line.changes import (ANNOUNCEMENT, CLOSURE, DEFAULT_VERSION, LineRefused, add_announcement, add_closure, publish,
                          remove_notice, save_draft, set_emergency, set_hours, set_number)
from routing.hours import LONDON, london_moment
from routing.line import LINES, SERVICES_WITH_HOURS, transcript
from routing.menu import DEFAULT_WORDING, WORDING_FIELDS, wording_from
from routing.menu_rules import MENU_LIMIT_S, TO_OPTION1_LIMIT_S
from routing.prompts import SERVICE_NAMES
from staff.auth import current_user, login_required
from staff.errors import error_pages

bp = Blueprint("line", __name__, template_folder="templates")
error_pages(bp)
FIELD_LABELS = {
    "danger": "The 999 line (always first)", "option1": "Option 1, MASH open (always second)",
    "option1_closed": "Option 1, MASH closed (the Emergency Duty Team)", "option2": "Option 2, the Infoline open",
    "option2_closed": "Option 2, the Infoline closed", "option3": "Option 3, Early Help open",
    "option3_closed": "Option 3, Early Help closed", "option4": "Option 4, a contact's status",
    "closing": "The closing line"}
HELPERS = dict(service_names=SERVICE_NAMES, services=SERVICES_WITH_HOURS, lines=LINES, field_labels=FIELD_LABELS,
               fields=WORDING_FIELDS, to_option1_limit=TO_OPTION1_LIMIT_S, menu_limit=MENU_LIMIT_S)


def _state():
    return load_state(get_session(), line_cache().defaults.state, app_now())


def _moment(name: str, is_end: bool = False):
    raw = request.form.get(name, "").strip()
    try:
        return london_moment(raw, is_end)
    except ValueError:
        raise LineRefused([f"{name}: give a date and time, e.g. 2026-12-24T13:00"]) from None


def _line_page(errors: list[str] = (), status: int = 200):
    return render_template("line/settings.html", state=_state(), now=app_now(), errors=list(errors),
                           values=request.form if errors else {}, **HELPERS), status


def _apply(change):
    """Run one change for the signed-in supervisor; a refusal shows the page again with the rule named (400)."""
    session = get_session()
    try:
        message = change(session, line_cache().defaults.state, current_user().username, app_now())
        session.commit()
    except LineRefused as exc:
        session.rollback()
        return _line_page(exc.errors, 400)
    flash(message)
    return redirect(url_for("line.settings"), 303)


@bp.get("/line")
@login_required(role="supervisor")
def settings():
    """Every setting a call uses, and forms to change them."""
    return _line_page()


def _service_setting(change, field: str):
    """One service's setting from the form (its `service` and `field`), changed by `change`."""
    form = request.form
    return _apply(lambda s, d, actor, now: "Changed " + change(s, d, form.get("service", ""), form.get(field, ""),
                                                               actor, now))


@bp.post("/line/hours")
@login_required(role="supervisor")
def hours():
    """Change one service's weekly hours."""
    return _service_setting(set_hours, "hours")


@bp.post("/line/numbers")
@login_required(role="supervisor")
def numbers():
    """Change the number a service's calls are put through to."""
    return _service_setting(set_number, "number")


@bp.post("/line/emergency")
@login_required(role="supervisor")
def emergency():
    """Turn emergency mode on or off."""
    form = request.form
    on = form.get("emergency") == "on"
    return _apply(lambda s, d, actor, now: "Changed " + set_emergency(s, d, on, form.get("say"), actor, now))


@bp.post("/line/closures")
@login_required(role="supervisor")
def closures():
    """Add a dated closure of one service."""
    form = request.form

    def change(s, d, actor, now):
        closure = add_closure(s, d, form.get("service", ""), _moment("from"), _moment("to", True), form.get("say", ""),
                              actor, now, form.get("reason"))
        return f"Closure {closure.id} added."
    return _apply(change)


@bp.post("/line/closures/<int:closure_id>/remove")
@login_required(role="supervisor")
def closure_remove(closure_id: int):
    """End a closure now."""
    return _apply(lambda s, d, actor, now: "Removed " + remove_notice(s, d, CLOSURE, closure_id, actor, now))


@bp.post("/line/announcements")
@login_required(role="supervisor")
def announcements():
    """Add an announcement spoken after option 1."""
    form = request.form

    def change(s, d, actor, now):
        notice = add_announcement(s, d, form.get("say", ""), _moment("from"), _moment("to", True), actor, now)
        return f"Announcement {notice.id} added."
    return _apply(change)


@bp.post("/line/announcements/<int:announcement_id>/remove")
@login_required(role="supervisor")
def announcement_remove(announcement_id: int):
    """End an announcement now."""
    return _apply(lambda s, d, actor, now: "Removed " + remove_notice(s, d, ANNOUNCEMENT, announcement_id, actor,
                                                                      now))


@bp.get("/menu")
@login_required(role="supervisor")
def versions():
    """Every version of the menu's wording, the newest first."""
    return render_template("line/versions.html", versions=get_menu_versions(get_session()), state=_state(),
                           **HELPERS)


@bp.route("/menu/new", methods=["GET", "POST"])
@login_required(role="supervisor")
def new_version():
    """A draft: the playing wording (or the version named by ?from=) to edit; saved only if it keeps the rules."""
    state = _state()
    base = state.wording
    if request.args.get("from", "").isdigit():
        source = get_menu_version(get_session(), int(request.args["from"]))
        base = DEFAULT_WORDING if int(request.args["from"]) == DEFAULT_VERSION else (
            wording_from(source.texts) if source else base)
    if request.method == "GET":
        return render_template("line/new.html", texts=base.texts(), note="", errors=[], **HELPERS)
    texts = {field: request.form.get(field, "") for field in WORDING_FIELDS}
    session = get_session()
    try:
        version = save_draft(session, texts, request.form.get("note"), current_user().username, app_now(), base)
        session.commit()
    except LineRefused as exc:
        session.rollback()
        return render_template("line/new.html", texts=texts, note=request.form.get("note", ""), errors=exc.errors,
                               **HELPERS), 400
    flash(f"Draft version {version.version} saved. Preview it, then publish.")
    return redirect(url_for("line.preview", version=version.version), 303)


def _version_or_404(version: int):
    """A stored version, or version 0: the poster's default wording, never stored."""
    if version == DEFAULT_VERSION:
        return MenuVersion(version=DEFAULT_VERSION, texts=DEFAULT_WORDING.texts(), note="the council's poster",
                           created_by="the default wording")
    found = get_menu_version(get_session(), version)
    if found is None:
        abort(404, description="No such menu version.")
    return found


@bp.get("/menu/<int:version>")
@login_required(role="supervisor")
def preview(version: int):
    """What a caller would hear with this version at a chosen date and time, and how long it takes."""
    found, state, now = _version_or_404(version), _state(), app_now()
    raw = request.args.get("at", "").strip()
    try:
        at = london_moment(raw) if raw else now
    except ValueError:
        abort(400, description="at: give a date and time, e.g. 2026-12-24T13:00")
    heard = transcript(state, wording_from(found.texts), at)
    return render_template("line/preview.html", version=found, state=state, heard=heard,
                           at_value=at.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M"), **HELPERS)


def _publish(version: int, rollback: bool):
    found, session = _version_or_404(version), get_session()
    try:
        message = publish(session, line_cache().defaults.state, found.version, current_user().username, app_now(),
                          rollback=rollback)
        session.commit()
    except LineRefused as exc:
        session.rollback()
        for error in exc.errors:
            flash(f"Refused: {error}")
        return redirect(url_for("line.preview", version=version), 303)
    flash(("Rolled back: " if rollback else "Published: ") + message + ". The next call hears it.")
    return redirect(url_for("line.versions"), 303)


@bp.post("/menu/<int:version>/publish")
@login_required(role="supervisor")
def publish_version(version: int):
    """Publish a version: every call from the next one hears it."""
    return _publish(version, rollback=False)


@bp.post("/menu/<int:version>/rollback")
@login_required(role="supervisor")
def rollback_version(version: int):
    """Restore an earlier published version."""
    return _publish(version, rollback=True)
