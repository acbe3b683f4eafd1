"""The message inbox pages: each service's messages oldest first, one message's history and its next step, CSV."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from db.alerts import get_alert_calls
from db.messages import get_message, get_message_events, get_messages
from db.session import get_session
from db.users import get_user_services, get_usernames_seeing
from messages.inbox import ALL, SERVICES, age, chosen_services, chosen_states, services_seen
from messages.call_back import place_call_back
from messages.states import ROLES_SEEING_ALL, MessageError, next_states, save_state
from routing.hours import london_date
from routing.vocabulary import CALL_BACK_OUTCOME_LABELS, MESSAGE_STATE_LABELS, MESSAGE_STATES
from staff.auth import current_user, login_required
from staff.errors import error_pages
from staff.exports import MESSAGE_COLUMNS, csv_response, message_row
from staff.stats import ROUTE_LABELS

bp = Blueprint("messages", __name__, template_folder="templates")
log = logging.getLogger("staff.messages")
error_pages(bp)
MAX_LISTED = 500  # a page of messages; the page says when there are more


def inboxes_seen() -> tuple[str, ...] | None:
    """The inboxes the signed-in account sees (None: every one)."""
    user = current_user()
    return services_seen(user.role, get_user_services(get_session(), user.id))


def _listing(limit: int | None):
    """The filters asked for, the inboxes seen and the messages they list; a filter that is no filter is 400."""
    seen = inboxes_seen()
    service, state = request.args.get("service", "").strip(), request.args.get("state", "").strip()
    try:
        rows = get_messages(get_session(), chosen_services(seen, service), chosen_states(state), limit)
    except MessageError as exc:
        abort(400, description=str(exc))
    return seen, service, state, rows


@bp.get("/messages")
@login_required()
def inbox():
    """The messages of the inboxes this account sees, oldest first (every state but closed unless asked)."""
    seen, service, state, found = _listing(MAX_LISTED + 1)
    now = current_app.config["CLOCK"]()
    rows = [(message, call, school, age(message.created_at, now)) for message, call, school in found[:MAX_LISTED]]
    return render_template("messages.html", rows=rows, cut=len(found) > MAX_LISTED, limit=MAX_LISTED,
                           services=SERVICES if seen is None else seen, no_team=seen == (), service=service,
                           state=state, states=MESSAGE_STATES, all_states=ALL, state_labels=MESSAGE_STATE_LABELS,
                           route_labels=ROUTE_LABELS, now=now)


@bp.get("/messages.csv")
@login_required()
def inbox_csv():
    """The same messages as the page, filtered alike, as CSV (staff's notes stay on the page)."""
    _seen_services, _service, _state, found = _listing(None)
    now = current_app.config["CLOCK"]()
    rows = (message_row(message, call, school, age(message.created_at, now)) for message, call, school in found)
    return csv_response(f"mash-ivr-messages-{london_date(now)}.csv", MESSAGE_COLUMNS, rows)


def _visible(message_id: int):
    """(message, call, school name) if it is in an inbox this account sees; else 404, as if there were none."""
    seen, found = inboxes_seen(), get_message(get_session(), message_id)
    if found is None or (seen is not None and found[0].service not in seen):
        abort(404, description=f"No message {message_id} is in an inbox you see.")
    return found


def _message_page(message_id: int, error: str | None = None, form: dict | None = None, status: int = 200):
    db = get_session()
    message, call, school = _visible(message_id)
    return render_template(
        "message.html", message=message, call=call, school=school, error=error, form=form or {},
        events=get_message_events(db, message.id), states=next_states(message.state), state_labels=MESSAGE_STATE_LABELS,
        assignable=get_usernames_seeing(db, message.service, ROLES_SEEING_ALL), route_labels=ROUTE_LABELS,
        waited=age(message.created_at, current_app.config["CLOCK"]()), now=current_app.config["CLOCK"](),
        has_phone=bool(current_user().phone), outcome_labels=CALL_BACK_OUTCOME_LABELS,
        alert_calls=get_alert_calls(db, call.id) if message.urgent else (0, 0),
    ), status


@bp.route("/messages/<int:message_id>", methods=["GET", "POST"])
@login_required()
def message(message_id: int):
    """A message: its player, its history, and the form to move it on."""
    if request.method == "GET":
        return _message_page(message_id)
    _visible(message_id)  # another team's message cannot be moved on either
    form = {key: request.form.get(key, "").strip() for key in ("state", "assignee", "note")}
    try:
        saved = save_state(get_session(), message_id, form["state"], assignee=form["assignee"] or None,
                           note=form["note"] or None, actor=current_user().username,
                           now=current_app.config["CLOCK"]())
    except MessageError as exc:
        return _message_page(message_id, error=str(exc), form=form, status=400)
    to = f" to {saved.assigned_to}" if saved.state == "assigned" else ""
    flash(f"Message {saved.id} is now {MESSAGE_STATE_LABELS[saved.state]}{to}.")
    return redirect(url_for("messages.message", message_id=message_id))


@bp.post("/messages/<int:message_id>/call-back")
@login_required()
def call_back(message_id: int):
    """Ring the signed-in member of staff's own phone, which then dials the caller who asked to be called back."""
    _visible(message_id)
    user = current_user()
    try:
        place_call_back(get_session(), message_id, user, current_app.config["SETTINGS"],
                        current_app.config["CLOCK"]())
    except MessageError as exc:
        return _message_page(message_id, error=str(exc), status=400)
    except Exception:
        log.warning("call back could not be placed", exc_info=True, extra={"event": "call_back_refused",
                                                                          "message_id": message_id})
        return _message_page(message_id, error="Twilio could not place the call just now. Please try again.",
                             status=502)
    flash("Your phone is ringing: when you answer, the caller is dialled.")
    return redirect(url_for("messages.message", message_id=message_id))
