"""The case system's API: statuses in (POST /api/contacts/<reference>/events), new contacts out (GET /api/contacts)."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request

from contacts.case_events import parse_case_event, save_case_event
from contacts.states import ContactError
from db.contacts import get_contact_by_reference, get_contacts_after
from db.session import BUSY_ERRORS, get_session, get_write_session
from ivr.line_settings import current_line
from staff.api_auth import CONTACTS_WRITE, json_error, register_json_errors, token_required

bp = Blueprint("contacts_api", __name__, url_prefix="/api/contacts")
register_json_errors(bp)
MAX_EVENT_BYTES = 16 * 1024
DEFAULT_PAGE, MAX_PAGE = 100, 1000
MAX_CURSOR = 2**63 - 1  # an id the database can hold
REFERENCE = re.compile(r"[0-9]{6}")
# A contact is listed once it is this old: a webhook's transaction that took a lower id commits well before, so
# a reader's cursor never passes a contact that is not visible yet.
LISTED_AFTER = timedelta(seconds=30)


def _contact_json(contact) -> dict:
    def iso(when):
        return when.isoformat().replace("+00:00", "Z") if when is not None else None
    return {"reference": contact.reference, "created_at": iso(contact.created_at), "school_urn": contact.school_urn,
            "route": contact.service, "promised_by": iso(contact.promised_by), "status": contact.status}


@bp.post("/<reference>/events")
@token_required(CONTACTS_WRITE)
def post_event(reference: str):
    """Apply one status change from the case system: 201 applied, 200 a repeat of its event_id."""
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        return json_error("The body is over 16 KiB: send one event at a time.", 413)
    request.max_content_length = MAX_EVENT_BYTES  # a body sent without a length is refused with 413 as it is read
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: not an event either
        payload = None
    if not isinstance(payload, dict):
        return json_error("Send one JSON object, with Content-Type: application/json.", 422, field=None)
    if not REFERENCE.fullmatch(reference):
        return json_error(f"No contact has the reference '{reference[:20]}'.", 404, field="reference")
    now = current_app.config["CLOCK"]()
    try:
        event = parse_case_event(payload, now)
        settings = current_line().settings  # read before the write begins: a failed read rolls the session back
        applied = save_case_event(get_write_session(), reference, event, settings, now)
    except ContactError as error:
        status = 404 if error.field == "reference" else 409 if error.conflict else 422
        return json_error(str(error), status, field=error.field)
    except BUSY_ERRORS:
        # The contact's lock or the database was busy past its timeout: nothing was applied; send it again.
        get_session().rollback()
        response = json_error("The database is busy: nothing was changed. Send the event again shortly.", 503)
        response.headers["Retry-After"] = "5"
        return response
    contact = get_contact_by_reference(get_session(), reference)
    return jsonify({"applied": applied, "event_id": event.event_id, **_contact_json(contact),
                    "outcome": contact.outcome}), 201 if applied else 200


def _page_args() -> tuple[int, int]:
    since, limit = request.args.get("since", "0").strip(), request.args.get("limit", str(DEFAULT_PAGE)).strip()
    if not (since.isascii() and since.isdigit()) or int(since) > MAX_CURSOR:
        raise ValueError("'since' must be a cursor from an earlier reply's next_cursor (or left out).")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_PAGE:
        raise ValueError(f"'limit' must be a whole number from 1 to {MAX_PAGE}.")
    return int(since), int(limit)


@bp.get("")
@token_required(CONTACTS_WRITE)
def list_contacts():
    """New contacts after ?since=CURSOR, oldest first, up to &limit=N; next_cursor is where the next page starts."""
    try:
        since, limit = _page_args()
    except ValueError as error:
        return json_error(str(error), 400)
    made_before = current_app.config["CLOCK"]() - LISTED_AFTER
    contacts = get_contacts_after(get_session(), since, made_before, limit)
    return jsonify({"contacts": [_contact_json(c) for c in contacts],
                    "next_cursor": str(contacts[-1].id if contacts else since), "more": len(contacts) == limit})
