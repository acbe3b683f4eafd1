"""Attack: a client that reaches the app directly forges X-Forwarded-For and steps round the address throttle."""
from __future__ import annotations

import pytest
from flask import request

from ivr import create_app
from ivr.config import ConfigError, load_settings
from tests.conftest import TEST_ENV
from tests.staff_support import add_user, form_token

DIRECT = "198.51.100.20"  # a client with no proxy in between


def seen_address(app, peer: str, forwarded: str) -> str:
    """The client address the app sees for a request from `peer` carrying X-Forwarded-For: `forwarded`."""
    if "peer_probe" not in app.view_functions:
        app.add_url_rule("/_peer", "peer_probe", lambda: request.remote_addr)
    reply = app.test_client().get("/_peer", headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": peer})
    return reply.get_data(as_text=True)


def test_a_direct_client_cannot_choose_its_address(app):
    assert seen_address(app, DIRECT, "192.0.2.99") == DIRECT


def test_the_trusted_proxy_on_the_same_host_is_believed_by_default(app):
    assert seen_address(app, "127.0.0.1", "192.0.2.99") == "192.0.2.99"


def test_a_configured_proxy_network_is_believed(settings_env, clock):
    app = create_app(load_settings(dict(settings_env, FORWARDED_ALLOW_IPS="10.0.0.0/8")))
    assert seen_address(app, "10.1.2.3", "192.0.2.99") == "192.0.2.99"
    assert seen_address(app, DIRECT, "192.0.2.99") == DIRECT
    app.extensions["db_engine"].dispose()


def test_forged_addresses_do_not_reset_the_sign_in_throttle(app):
    add_user(app, "sam", "staff")
    client = app.test_client()
    token = form_token(client, "/login")
    codes = []
    for n in range(21):
        reply = client.post("/login", data={"csrf_token": token, "username": "nobody", "password": "wrong guess"},
                            headers={"X-Forwarded-For": f"192.0.2.{n}"}, environ_base={"REMOTE_ADDR": DIRECT})
        codes.append(reply.status_code)
    assert codes[:20] == [401] * 20 and codes[20] == 429


def test_a_bad_trusted_proxy_setting_is_refused_by_name():
    with pytest.raises(ConfigError, match="FORWARDED_ALLOW_IPS"):
        load_settings(dict(TEST_ENV, FORWARDED_ALLOW_IPS="the load balancer"))
