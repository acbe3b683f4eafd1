"""POST /notify/delivery-receipt: GOV.UK Notify's delivery receipts, checked by its bearer token, applied to the
outbox exactly as Twilio's status callbacks are."""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, current_app, jsonify, request

from callbacks.notify import attempt_of, receipt_change
from db.models import Callback
from db.outbox import get_callback_by_sid, save_change
from db.session import get_write_session
from ivr.clock import app_now

log = logging.getLogger("callbacks.notify")
bp = Blueprint("notify", __name__, url_prefix="/notify")


def _authorised() -> bool:
    notify = current_app.config["SETTINGS"].notify
    expected = notify.callback_token if notify is not None else None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    # As bytes: compare_digest refuses a str with characters beyond ASCII, which a forger may send.
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                                                 expected.encode())


@bp.post("/delivery-receipt")
def delivery_receipt():
    """One receipt: {"id": Notify's notification id, "status": "delivered" or a failure, ...}; 204 when taken."""
    if not _authorised():
        return jsonify({"error": "Send the callback bearer token set for delivery receipts in Notify."}), 401
    receipt = request.get_json(silent=True)
    if not isinstance(receipt, dict) or not isinstance(receipt.get("id"), str) \
            or not isinstance(receipt.get("status"), str):
        return jsonify({"error": "A receipt is a JSON object with the notification's id and status."}), 400
    session = get_write_session()
    # Our reference names the row and the attempt, even when the receipt beat the send's own answer.
    callback_id, attempt = attempt_of(receipt.get("reference") if isinstance(receipt.get("reference"), str) else None)
    callback = session.get(Callback, callback_id) if callback_id is not None else None
    if callback is None:
        callback = get_callback_by_sid(session, receipt["id"][:64])
    if callback is None:
        log.warning("delivery receipt for no text of ours", extra={"event": "notify_receipt_unknown"})
        return "", 204  # taken: Notify must not retry a receipt we can never match
    save_change(session, callback.id, receipt_change(receipt["status"], receipt["id"][:64], attempt, app_now()))
    return "", 204
