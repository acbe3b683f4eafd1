"""Texts through GOV.UK Notify (SMS_PROVIDER=notify): sent with the official client, looked up by reference when
an answer was lost, and Notify's delivery receipts read as Twilio's status callbacks are."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Callable

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from callbacks.outbox import is_current
from callbacks.sender import CREDENTIALS_REFUSED
from db.alerts import ALERT
from db.models import Callback

TIMEOUT_S = 10
REFERENCE = re.compile(r"callback-([0-9]{1,12})-([0-9]{1,6})")
DELIVERED = ("delivered",)
# Notify's final failures; "sending", "pending" and "created" are on the way.
FAILED = ("permanent-failure", "temporary-failure", "technical-failure", "validation-failed")


def uses_notify(settings, callback: Callback) -> bool:
    """Whether this callback goes through Notify: a text to a DSL, when SMS_PROVIDER is notify (calls, and the
    urgent alerts to the duty numbers, stay on Twilio)."""
    return callback.channel == "sms" and callback.kind != ALERT and settings.sms_provider == "notify"


def make_client(settings, timeout: float = TIMEOUT_S) -> NotificationsAPIClient:
    return NotificationsAPIClient(settings.notify.api_key, base_url=settings.notify.base_url, timeout=timeout)


def reference(callback: Callback) -> str:
    """Our reference for one attempt at a text: how a lost answer is looked up, and a receipt matched."""
    return f"callback-{callback.id}-{callback.attempts}"


def attempt_of(reference_text: str | None) -> tuple[int | None, int | None]:
    """(callback id, attempt) from our reference, or (None, None) for one that is not ours."""
    match = REFERENCE.fullmatch(reference_text or "")
    return (int(match[1]), int(match[2])) if match else (None, None)


def send_sms(client: NotificationsAPIClient, settings, callback: Callback) -> str:
    """Send the text with its kind's template (the body as ((body))); returns Notify's notification id."""
    sent = client.send_sms_notification(phone_number=callback.to_number,
                                        template_id=settings.notify.template_for(callback.kind),
                                        personalisation={"body": callback.body}, reference=reference(callback))
    return sent["id"]


def find_sent(client: NotificationsAPIClient, callback: Callback) -> tuple[str | None, str | None]:
    """Notify's id and status for this attempt, if Notify has it (looked up by our reference)."""
    found = client.get_all_notifications(reference=reference(callback), template_type="sms").get("notifications", [])
    return (found[0]["id"], found[0].get("status")) if found else (None, None)


def unwrapped(exc: Exception) -> Exception:
    """The requests error under the client's HTTPError when no answer came at all (a timeout, a refused connection),
    so the outbox can tell a send that may have gone from one that never did."""
    if isinstance(exc, HTTPError) and exc.response is None and exc.__cause__ is not None:
        return exc.__cause__
    return exc


def describe_failure(exc: Exception) -> tuple[str, bool] | None:
    """Notify's refusal as a short error text and whether trying again may help; None if not Notify's."""
    if not isinstance(exc, HTTPError):
        return None
    if exc.response is None:
        return f"Notify could not be reached: {type(exc.__cause__).__name__}", True
    return (f"Notify refused it: HTTP {exc.status_code}: {exc.message}"[:300],
            exc.status_code == 429 or exc.status_code >= 500)


def refusal(exc: Exception) -> str | None:
    """A refusal of our API key (401 or 403): every text is held, as when Twilio refuses our credentials."""
    if isinstance(exc, HTTPError) and exc.response is not None and exc.status_code in (401, 403):
        return CREDENTIALS_REFUSED
    return None


def receipt_change(status: str, notification_id: str, attempt: int | None,
                   now: datetime) -> Callable[[Callback], dict | None]:
    """A delivery receipt's change, by the rule of Twilio's status callbacks: only for the attempt in flight (our
    reference names it), and only while the row holds no other id (a receipt can beat the send's own answer)."""
    status = (status or "").strip().lower()

    def decide(row: Callback) -> dict | None:
        if not is_current(row, notification_id, attempt):
            return None
        values = {"twilio_sid": notification_id, "last_status": status, "updated_at": now}
        if status in DELIVERED:
            return values | {"state": "delivered"}
        if status in FAILED:
            return values | {"state": "failed", "last_error": f"{status} (GOV.UK Notify)"}
        return values
    return decide
