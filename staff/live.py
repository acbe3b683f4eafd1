"""The live page: each call being put through to a line now, with its reference, redrawn every second."""
from __future__ import annotations

import functools
import logging

from flask import Blueprint, current_app, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from db.live import RELATED_DAYS, LiveCall, get_calls_being_put_through
from db.models import Route, SchoolMatch
from db.session import get_session
from routing.phone import WITHHELD
from routing.vocabulary import STATUS_LABELS
from staff.auth import login_required
from staff.errors import error_pages
from staff.filters import duration, phone
from staff.messages import inboxes_seen

bp = Blueprint("live", __name__)
error_pages(bp)
log = logging.getLogger(__name__)

POLL_MS = 1000
IDENTIFIED_BY = {
    SchoolMatch.CALLER_ID: "By the caller's number",
    SchoolMatch.URN_KEYPAD: "URN typed by the caller",
    SchoolMatch.AMBIGUOUS: "Number shared by several schools",
    SchoolMatch.UNIDENTIFIED: "Number not in the register",
    SchoolMatch.WITHHELD: "Number withheld",
}
UNAVAILABLE = "The live calls cannot be read just now."


def _caller(number: str | None) -> str:
    """UK national form, or 'Withheld' / 'Not kept' in words."""
    return phone(number).capitalize() if number in (None, WITHHELD) else phone(number)


def live_row(call: LiveCall) -> dict:
    """A live call as the page and its JSON show it: words, not codes."""
    return {
        "id": call.call_id,
        "service": call.route,
        "service_label": Route.LABELS.get(call.route, call.route),
        "reference": call.reference or "",
        "contact_url": url_for("staff.contact", reference=call.reference) if call.reference else "",
        "school": call.school_name or "Not identified",
        "urn": call.school_urn,
        "identified_by": IDENTIFIED_BY.get(call.school_match, "Not identified"),
        "caller": _caller(call.caller),
        "time_in_menu": duration((call.routed_at - call.started_at).total_seconds()),
        "open_contacts": [{"reference": contact.reference, "url": url_for("staff.contact", reference=contact.reference),
                           "status": STATUS_LABELS.get(contact.status, contact.status),
                           "service_label": Route.LABELS.get(contact.service, contact.service)}
                          for contact in call.open_contacts],
    }


def _service() -> str | None:
    """The service asked for (?service=MASH), or None for every line; anything else is every line too."""
    service = request.args.get("service", "").strip().upper()
    return service if service in Route.LINES else None


def _lines(service: str | None) -> tuple[str, ...] | None:
    """The lines shown: the one asked for, else the account's teams' lines (every line for a supervisor, or for
    an account in no team yet: answering staff must never see an empty page for want of a team)."""
    return (service,) if service else inboxes_seen() or None


def _rows(service: str | None) -> list[dict]:
    calls = get_calls_being_put_through(get_session(), current_app.config["CLOCK"](), _lines(service))
    return [live_row(call) for call in calls]


def _page(rows: list[dict], service: str | None, unavailable: bool = False, status: int = 200):
    return render_template("live.html", rows=rows, service=service, services=Route.LINES, labels=Route.LABELS,
                           unavailable=unavailable, related_days=RELATED_DAYS, poll_ms=POLL_MS), status


def _page_unavailable():
    # The sign-in itself may be what failed: render as no one rather than ask the database again.
    g.setdefault("current_user", None)
    return _page([], _service(), unavailable=True, status=503)


def _json_unavailable():
    return jsonify({"error": UNAVAILABLE}), 503


def database_outage_safe(answer):
    """Decorate a view: any failure to read (the database down or slow) logs it and returns `answer()`."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except HTTPException:
                raise
            except Exception:  # an outage shows on the page as a note, never as a blank page or a 500
                log.error("the live calls could not be read", exc_info=True, extra={"event": "live_unavailable"})
                return answer()
        return wrapper
    return decorator


@bp.get("/live")
@database_outage_safe(_page_unavailable)
@login_required()
def live():
    """The calls being put through now, drawn here so the page works without JavaScript; live.js redraws it."""
    service = _service()
    return _page(_rows(service), service)


@bp.get("/live/calls.json")
@database_outage_safe(_json_unavailable)
@login_required()
def calls_json():
    """The live page's rows as JSON, polled every second by live.js."""
    return jsonify({"calls": _rows(_service())})
