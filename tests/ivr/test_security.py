"""Security headers on every page, proxy headers trusted only when configured, production refusals."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from lxml import html

from ivr import create_app
from ivr.config import ConfigError, load_settings
from tests.browser_support import sign_in_page
from tests.conftest import TEST_ENV
from tests.staff_support import CONTACTS, add_user, seed_month, signed_in_client
from tests.twilio_client import call_params

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _example_path(rule) -> str:
    """A concrete URL for a rule (converters filled with 1)."""
    path = rule.rule
    for arg in rule.arguments:
        path = path.replace(f"<{arg}>", "1")
        for conv in ("int", "string", "path", "uuid"):
            path = path.replace(f"<{conv}:{arg}>", "1")
    return path


def _assert_secure_headers(resp, where: str) -> None:
    for name, value in EXPECTED.items():
        assert resp.headers.get(name) == value, f"{where}: {name} is {resp.headers.get(name)!r}"
    csp = resp.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, f"{where}: CSP {csp!r}"
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0], f"{where}: inline scripts allowed"
    assert "camera=()" in resp.headers.get("Permissions-Policy", ""), where


def test_every_url_answers_with_the_security_headers(app, twilio):
    client = app.test_client()
    rules = list(app.url_map.iter_rules())
    assert rules
    for rule in rules:
        path = _example_path(rule)
        if "GET" in rule.methods:
            resp = client.get(path)
        else:
            resp = twilio.post(path, call_params())
        _assert_secure_headers(resp, f"{rule.rule} ({resp.status_code})")


def test_error_pages_and_refused_webhooks_carry_the_headers_too(app, twilio):
    _assert_secure_headers(app.test_client().get("/no-such-page"), "404 page")
    _assert_secure_headers(twilio.post("/voice/incoming", call_params(), signed=False), "unsigned webhook")


def test_https_responses_tell_browsers_to_stay_on_https(app):
    resp = app.test_client().get("/health", base_url="https://ivr.example.test")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_plain_http_responses_do_not_send_hsts(app):
    assert "Strict-Transport-Security" not in app.test_client().get("/health").headers


def test_pages_are_not_kept_in_shared_caches(app):
    assert app.test_client().get("/health").headers["Cache-Control"] == "no-store"


def test_behind_the_proxy_the_forwarded_scheme_and_client_address_are_used(app):
    seen = {}

    @app.get("/_probe")
    def probe():
        from flask import request

        seen.update(secure=request.is_secure, remote=request.remote_addr)
        return "ok"

    resp = app.test_client().get("/_probe", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.7"})
    assert seen == {"secure": True, "remote": "192.0.2.7"}
    assert "Strict-Transport-Security" in resp.headers


def test_with_proxy_fix_hops_zero_forwarded_headers_are_ignored(settings_env, clock):
    app = create_app(load_settings(dict(settings_env, PROXY_FIX_HOPS="0")))
    resp = app.test_client().get("/health", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in resp.headers
    app.extensions["db_engine"].dispose()


def test_without_a_public_base_url_forwarded_headers_are_not_trusted():
    env = {k: v for k, v in TEST_ENV.items() if k != "PUBLIC_BASE_URL"}
    app = create_app(load_settings(dict(env, DATABASE_URL="sqlite://")))
    resp = app.test_client().get("/no-such-page", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in resp.headers


def test_a_bad_proxy_fix_hops_value_is_refused_by_name():
    with pytest.raises(ConfigError, match="PROXY_FIX_HOPS"):
        load_settings(dict(TEST_ENV, PROXY_FIX_HOPS="many"))


PRODUCTION = dict(TEST_ENV, IVR_ENV="production", SECRET_KEY="a-long-random-production-secret-value",
                  DUTY_NUMBERS="+447400123001")


def test_production_refuses_the_default_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(env)


def test_production_refuses_signature_checks_turned_off():
    with pytest.raises(ConfigError, match="TWILIO_SIGNATURE_CHECK"):
        load_settings(dict(PRODUCTION, TWILIO_SIGNATURE_CHECK="false"))


def test_production_session_cookies_are_secure_and_http_only(tmp_path):
    app = create_app(load_settings(dict(PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize("override, variable", [
    ({"SECRET_KEY": ""}, "SECRET_KEY"),
    ({"TWILIO_SIGNATURE_CHECK": "false"}, "TWILIO_SIGNATURE_CHECK"),
    ({"DUTY_NUMBERS": ""}, "DUTY_NUMBERS"),
])
def test_the_ivr_command_will_not_start_in_production_and_names_the_variable(tmp_path, override, variable):
    env = {k: v for k, v in os.environ.items() if k not in TEST_ENV and k != "DATABASE_URL"}
    env.update(PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", **override)
    ivr = os.path.join(os.path.dirname(sys.executable), "ivr")
    result = subprocess.run([ivr, "routes"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert variable in result.stderr


def _blocked_by_policy(doc) -> list[str]:
    """What in a page the Content-Security-Policy would block: inline scripts and handlers, other origins."""
    problems = [f"inline <script> {s.text_content()[:40]!r}" for s in doc.xpath("//script[not(@src)]")]
    problems += [f"<{el.tag} {name}=...>" for el in doc.iter() if isinstance(el.tag, str)
                 for name in el.attrib if name.lower().startswith("on")]
    for attr in ("src", "href", "action", "formaction"):
        for el in doc.xpath(f"//*[@{attr}]"):
            value = el.get(attr).strip().lower()
            if value.startswith("javascript:"):
                problems.append(f"javascript: URL in <{el.tag}>")
            loads = el.tag in ("script", "img", "iframe", "object", "embed", "link")
            if loads and value.startswith(("http:", "https:", "//")):
                problems.append(f"<{el.tag} {attr}={value}> from another origin")
    return problems


def test_every_staff_page_works_under_the_content_security_policy(app, engine):
    seed_month(engine)
    client = signed_in_client(app, "admin")
    pages = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("static") or rule.rule.startswith("/voice"):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<(\w+:)?{arg}>", CONTACTS[0][0] if "reference" in arg else "1", path)
        resp = client.get(path)
        if resp.mimetype != "text/html":
            continue
        pages += 1
        assert _blocked_by_policy(html.fromstring(resp.data)) == [], path
    assert pages >= 5


@pytest.mark.browser
def test_chromium_reports_no_content_security_policy_violation_on_the_staff_pages(app, tab, server):
    add_user(app, "admin", "admin")
    violations = []
    tab.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in_page(tab, server, "admin", "/dashboard")
    assert tab.locator("svg.chart").count() > 0  # the inline SVG charts are drawn
    for path in ("/calls", f"/contacts/{CONTACTS[0][0]}", "/trials/", "/audit"):
        response = tab.goto(server + path)
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert violations == []
