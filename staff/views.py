"""Staff pages: today's MASH calls, a contact's history and status form, and the audit log."""
from __future__ import annotations

from datetime import date


import requests
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for

from contacts.overdue import MAX_LISTED, first_promise, overdue_by
from contacts.states import ContactError, save_status
from db.audit import get_audit_events, save_audit_event
from db.contacts import (get_callbacks_for_contact, get_contact_by_reference, get_contact_events, get_contacts,
                         get_contacts_past_promise)
from db.models import Call, Dsl, School
from db.reasons import get_reason, get_reasons
from db.session import get_session
from db.stats import get_mash_calls
from ivr.line_settings import current_line
from messages.inbox import may_hear
from routing.hours import london_date
from routing.recording import recording_audio_url
from routing.vocabulary import ALL_OUTCOME_LABELS, STATUS_LABELS, STATUSES, outcomes_for
from staff.auth import current_user, login_required
from staff.errors import error_pages
from staff.messages import inboxes_seen
from staff.stats import CALLBACK_LABELS, ROUTE_LABELS, TRANSFER_LABELS

bp = Blueprint("staff", __name__, template_folder="templates", static_folder="static",
               static_url_path="/staff/static")
error_pages(bp)
RECORDING_TIMEOUT_S = 10


def _today() -> date:
    return london_date(current_app.config["CLOCK"]())


@bp.get("/")
@login_required()
def home():
    """Staff start on today's calls."""
    return redirect(url_for("staff.calls"))


@bp.get("/calls")
@login_required()
def calls():
    """Today's MASH calls, newest first; or the calls matching a reference, URN or school name."""
    search = request.args.get("q", "").strip()[:100]
    raw_day = request.args.get("day", "").strip()
    try:
        day = date.fromisoformat(raw_day) if raw_day else _today()
    except ValueError:
        abort(400, description=f"'day' must be a date written YYYY-MM-DD, got {raw_day[:20]!r}.")
    days = (None, None) if search and not raw_day else (day, day)
    rows, seen = get_mash_calls(get_session(), *days, search), inboxes_seen()
    return render_template("calls.html", rows=rows, search=search, day=day, searching=bool(search and not raw_day),
                           may_hear=lambda call: may_hear(seen, call.service),
                           is_today=day == _today(), route_labels=ROUTE_LABELS, transfer_labels=TRANSFER_LABELS)


@bp.get("/contacts")
@login_required()
def contacts():
    """Contacts newest first, or with ?overdue=1 those past their promised time, oldest promise first."""
    status = request.args.get("status", "").strip()
    if status and status not in STATUSES:
        abort(400, description=f"'status' must be one of {', '.join(STATUSES)}, got {status[:20]!r}.")
    raw_overdue = request.args.get("overdue", "").strip()
    if raw_overdue not in ("", "0", "1"):
        abort(400, description=f"'overdue' must be 1 (or left out), got {raw_overdue[:20]!r}.")
    overdue, now, db = raw_overdue == "1", current_app.config["CLOCK"](), get_session()
    # One row more than shown says whether the list was cut.
    found = (get_contacts_past_promise(db, now, MAX_LISTED + 1, status or None) if overdue
             else get_contacts(db, status or None, MAX_LISTED + 1))
    rows = [(contact, school, first_promise(contact), overdue_by(first_promise(contact), now) if overdue else None)
            for contact, _call_sid, school in found[:MAX_LISTED]]
    return render_template("contacts.html", rows=rows, overdue=overdue, status=status, cut=len(found) > MAX_LISTED,
                           limit=MAX_LISTED, statuses=STATUSES, status_labels=STATUS_LABELS,
                           route_labels=ROUTE_LABELS)


def _contact_page(reference: str, error: str | None = None, form: dict | None = None, status: int = 200):
    db = get_session()
    contact = get_contact_by_reference(db, reference)
    if contact is None:
        abort(404, description=f"No contact has the reference {reference[:12]}.")
    call = db.get(Call, contact.call_id) if contact.call_id else None
    school = db.get(School, contact.school_urn) if contact.school_urn else None
    dsl = db.get(Dsl, contact.dsl_id) if contact.dsl_id else None
    later = STATUSES[STATUSES.index(contact.status) + 1:] if contact.status in STATUSES else STATUSES
    return render_template(
        "contact.html", contact=contact, call=call, school=school, dsl=dsl, error=error, form=form or {},
        events=get_contact_events(db, contact), callbacks=get_callbacks_for_contact(db, contact),
        statuses=later, status_labels=STATUS_LABELS, outcomes=outcomes_for(contact.service),
        outcome_labels=ALL_OUTCOME_LABELS,
        reasons=get_reasons(db, current_app.config["CLOCK"]()), sent_reason=get_reason(db, contact.reason_code),
        callback_states=CALLBACK_LABELS, route_labels=ROUTE_LABELS, transfer_labels=TRANSFER_LABELS,
    ), status


@bp.route("/contacts/<reference>", methods=["GET", "POST"])
@login_required()
def contact(reference: str):
    """A contact: its history, its callbacks, and the form to move its status on."""
    if request.method == "GET":
        return _contact_page(reference)
    form = {key: request.form.get(key, "").strip() for key in ("status", "outcome", "reason_code", "note")}
    try:
        saved = save_status(get_session(), reference, form["status"], outcome=form["outcome"] or None,
                    reason_code=form["reason_code"] or None, note=form["note"] or None,
                    actor=current_user().username,
                    settings=current_line().settings, now=current_app.config["CLOCK"]())
    except ContactError as exc:
        return _contact_page(reference, error=str(exc), form=form, status=400)
    flash(f"Contact {saved.reference} is now {STATUS_LABELS.get(saved.status, saved.status)}.")
    return redirect(url_for("staff.contact", reference=reference))


@bp.get("/calls/<int:call_id>/recording")
@login_required()
def recording(call_id: int):
    """Play a message: fetched from Twilio with the account's credentials, so the link is never exposed."""
    db, settings = get_session(), current_app.config["SETTINGS"]
    call = db.get(Call, call_id)
    if call is None or not call.recording_url or call.recording_deleted:
        abort(404, description="There is no message for this call (it may have been deleted after the "
                               "retention period).")
    if not may_hear(inboxes_seen(), call.service):
        abort(403, description="This message was left for another team's inbox: ask its team or a supervisor.")
    source = recording_audio_url(call.recording_url, settings.twilio_account_sid, settings.twilio_api_base_url)
    if source is None:
        abort(404, description="The message link is not a Twilio recording.")
    try:
        # Never follow a redirect: our credentials go to the checked address and nowhere else.
        upstream = requests.get(source, auth=(settings.twilio_account_sid, settings.twilio_auth_token),
                                stream=True, timeout=RECORDING_TIMEOUT_S, allow_redirects=False)
    except requests.RequestException:
        abort(502, description="Twilio could not be reached to fetch the message. Try again shortly.")
    mimetype = upstream.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if upstream.status_code != 200 or not mimetype.startswith("audio/"):
        upstream.close()
        abort(502, description=f"Twilio answered {upstream.status_code} ({mimetype or 'no type'}), not audio, "
                               "for this message.")
    save_audit_event(db, current_user().username, "recording_played", f"call {call.id}",
                     at=current_app.config["CLOCK"]())
    db.commit()
    response = Response(upstream.iter_content(64 * 1024), mimetype=mimetype)
    response.call_on_close(upstream.close)
    return response


@bp.get("/audit")
@login_required(role="admin")
def audit():
    """The newest audit-log lines: sign-ins, status changes, accounts and tokens."""
    action = request.args.get("action", "").strip()[:64] or None
    return render_template("audit.html", events=get_audit_events(get_session(), limit=300, action=action),
                           action=action)
