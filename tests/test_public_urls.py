"""Every URL is a public contract (Twilio's console, staff bookmarks, the API's clients): the app serves
exactly these, with these methods, however the code behind them is arranged."""
from __future__ import annotations

from ivr import create_app
from ivr.config import load_settings
from tests.conftest import TEST_ENV

PUBLIC_URLS = {
    ("/", "GET"), ("/api/stats", "GET"), ("/api/contacts", "GET"), ("/api/openapi.json", "GET"), ("/api/contacts/<reference>/events", "POST"), ("/audit", "GET"), ("/calls", "GET"),
    ("/calls/<int:call_id>/recording", "GET"), ("/contacts", "GET"), ("/contacts/<reference>", "GET"),
    ("/contacts/<reference>", "POST"), ("/messages", "GET"), ("/messages.csv", "GET"),
    ("/messages/<int:message_id>", "GET"), ("/messages/<int:message_id>", "POST"),
    ("/messages/<int:message_id>/call-back", "POST"),
    ("/dashboard", "GET"), ("/dashboard/<name>.csv", "GET"), ("/exports/calls.csv", "GET"), ("/health", "GET"),
    ("/health/live", "GET"), ("/live", "GET"), ("/live/calls.json", "GET"), ("/login", "GET"), ("/login", "POST"), ("/logout", "GET"), ("/logout", "POST"),
    ("/reasons", "GET"), ("/reasons", "POST"), ("/case-system", "GET"), ("/notify/delivery-receipt", "POST"), ("/reasons/<code>/active", "POST"),
    ("/staff/static/<path:filename>", "GET"), ("/static/<path:filename>", "GET"), ("/trials/", "GET"),
    ("/line", "GET"), ("/line/hours", "POST"), ("/line/numbers", "POST"), ("/line/emergency", "POST"),
    ("/line/closures", "POST"), ("/line/closures/<int:closure_id>/remove", "POST"), ("/line/announcements", "POST"),
    ("/line/announcements/<int:announcement_id>/remove", "POST"), ("/menu", "GET"), ("/menu/new", "GET"),
    ("/menu/new", "POST"), ("/menu/<int:version>", "GET"), ("/menu/<int:version>/publish", "POST"),
    ("/menu/<int:version>/rollback", "POST"),
    ("/trials/<int:trial_id>", "GET"), ("/trials/<int:trial_id>/results.csv", "GET"),
    ("/trials/<int:trial_id>/stop", "POST"), ("/trials/new", "GET"), ("/trials/new", "POST"),
    ("/trials/static/<path:filename>", "GET"),
    # Twilio's webhooks: the live call's, then the outbound calls' and texts'.
    ("/voice/incoming", "POST"), ("/voice/menu", "POST"), ("/voice/dial-result", "POST"),
    ("/voice/unanswered", "POST"), ("/voice/recording", "POST"), ("/voice/status", "POST"),
    ("/voice/identify", "POST"), ("/voice/identify/confirm", "POST"), ("/voice/status-check", "POST"),
    ("/voice/status-check/next", "POST"), ("/voice/fallback", "POST"), ("/voice/fallback/result", "POST"),
    ("/voice/callback/<int:callback_id>", "POST"), ("/voice/callback/<int:callback_id>/dialled", "POST"),
    ("/voice/callback-status", "POST"),
    ("/voice/message-status", "POST"), ("/voice/alert/<int:callback_id>", "POST"),
    ("/voice/alert/<int:callback_id>/ack", "POST"),
    ("/voice/reference", "POST"), ("/voice/reference/mobile", "POST"), ("/voice/reference/confirm", "POST"),
    ("/voice/callback-request", "POST"), ("/voice/callback-request/number", "POST"),
    ("/voice/call-back/<int:message_id>", "POST"), ("/voice/call-back/<int:message_id>/dialled", "POST"),
    ("/voice/call-back/<int:message_id>/connect", "POST"), ("/voice/call-back/<int:message_id>/status", "POST"),
}


def served_urls(app) -> set[tuple[str, str]]:
    return {(rule.rule, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_the_app_serves_every_public_url_and_no_other():
    app = create_app(load_settings(dict(TEST_ENV, DATABASE_URL="sqlite://")))
    try:
        assert served_urls(app) == PUBLIC_URLS
    finally:
        app.extensions["db_engine"].dispose()
