"""Texts through GOV.UK Notify (SMS_PROVIDER=notify): sent with the official client, looked up by reference when
an answer was lost, and Notify's delivery receipts read as Twilio's status callbacks are."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from db.models import Callback

TIMEOUT_S = 10
DELIVERED = ("delivered",)
# Notify's final failures; "sending", "pending" and "created" are on the way.
FAILED = ("permanent-failure", "temporary-failure", "technical-failure", "validation-failed")


def uses_notify(settings, callback: Callback) -> bool:
    """Whether this callback goes through Notify: a text, when SMS_PROVIDER is notify (calls stay on Twilio)."""
    return callback.channel == "sms" and settings.sms_provider == "notify"


def make_client(settings, timeout: float = TIMEOUT_S) -> NotificationsAPIClient:
    return NotificationsAPIClient(settings.notify.api_key, base_url=settings.notify.base_url, timeout=timeout)


def reference(callback: Callback) -> str:
    """Our reference for one attempt at a text: how a lost answer is looked up, and a receipt matched."""
    return f"callback-{callback.id}-{callback.attempts}"


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
    if not isinstance(exc, HTTPError) or exc.response is None:
        return None
    return f"Notify refused it: HTTP {exc.status_code}: {exc.message}"[:300], exc.status_code in (429, 500, 502, 503)


def receipt_change(status: str, notification_id: str, now: datetime) -> Callable[[Callback], dict | None]:
    """A delivery receipt's change to the row that holds this notification id (as a Twilio status callback's)."""
    status = (status or "").strip().lower()

    def decide(row: Callback) -> dict | None:
        if row.twilio_sid != notification_id or row.state in ("delivered", "failed"):
            return None
        values = {"last_status": status, "updated_at": now}
        if status in DELIVERED:
            return values | {"state": "delivered"}
        if status in FAILED:
            return values | {"state": "failed", "last_error": f"{status} (GOV.UK Notify)"}
        return values
    return decide
