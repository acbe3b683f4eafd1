"""Walk every URL the app serves: Twilio routes need a signature, pages a sign-in, the API a token."""
from __future__ import annotations

import pytest

from ivr.twilio_auth import TWILIO_ROUTE_ATTR
from tests.staff_support import form_token

PUBLIC = {"/login", "/health", "/health/live"}
PUBLIC_API = {"/api/openapi.json"}  # the API's description: no data, and read before a client has a token
PLACEHOLDERS = {"int": "1", "default": "123456", "string": "123456", "path": "x", "float": "1.0", "uuid": "0" * 32}


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule) -> str:
    values = {name: PLACEHOLDERS.get(type(conv).__name__.replace("Converter", "").lower(), "1")
              for name, conv in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def test_the_walk_finds_pages_twilio_routes_and_the_api(app):
    rules = {rule.rule for rule, _ in _rules(app)}
    assert {"/voice/incoming", "/login", "/dashboard", "/calls", "/api/stats", "/contacts/<reference>"} <= rules


FALLBACKS = {"/voice/fallback", "/voice/fallback/result"}


def test_every_twilio_route_checks_the_signature_and_all_but_the_fallback_refuse_an_unsigned_request(app):
    client = app.test_client()
    for rule, method in _rules(app):
        if rule.rule.startswith("/voice/"):
            view = app.view_functions[rule.endpoint]
            assert getattr(view, TWILIO_ROUTE_ATTR, False), f"{rule.rule} does not check X-Twilio-Signature"
            response = client.open(_url(rule), method=method, data={"CallSid": "CA" + "1" * 32})
            if rule.rule in FALLBACKS:
                continue  # tests/voice/test_fallback.py: they answer the fail-safe TwiML, and record nothing
            assert response.status_code == 403, f"{method} {rule.rule} answered {response.status_code} unsigned"


def test_every_page_needs_a_sign_in_even_with_a_valid_form_token(app):
    client = app.test_client()
    token = form_token(client, "/login")
    checked = 0
    for rule, method in _rules(app):
        if rule.rule.startswith(("/voice/", "/api/", "/notify/")) or rule.rule in PUBLIC:
            continue
        data = {"csrf_token": token} if method != "GET" else None
        response = client.open(_url(rule), method=method, data=data)
        assert response.status_code in (302, 401), f"{method} {rule.rule} answered {response.status_code}"
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), f"{method} {rule.rule} redirects elsewhere"
        checked += 1
    assert checked >= 8


def test_every_page_view_declares_the_role_it_needs(app):
    for rule, _ in _rules(app):
        if rule.rule.startswith(("/voice/", "/api/", "/notify/")) or rule.rule in PUBLIC:
            continue
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "required_role", None) in ("staff", "supervisor", "admin"), \
            f"{rule.rule} is not decorated with staff.auth.login_required"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}])
def test_every_api_route_answers_401_without_a_valid_token(app, headers):
    client = app.test_client()
    for rule, method in _rules(app):
        if rule.rule.startswith("/api/") and rule.rule not in PUBLIC_API:
            response = client.open(_url(rule), method=method, headers=headers)
            assert response.status_code == 401, f"{method} {rule.rule} answered {response.status_code}"
            assert response.is_json and response.get_json()["error"]


def test_a_form_post_without_its_csrf_token_is_refused(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "someone", "password": "whatever-it-is"})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-the-token"}])
def test_notify_s_receipts_answer_401_without_its_bearer_token(app, headers):
    notify_routes = [(rule, method) for rule, method in _rules(app) if rule.rule.startswith("/notify/")]
    assert notify_routes
    for rule, method in notify_routes:
        response = app.test_client().open(_url(rule), method=method, headers=headers, json={"id": "x", "status": "delivered"})
        assert response.status_code == 401, f"{method} {rule.rule} answered {response.status_code}"
