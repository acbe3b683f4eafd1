"""Attack: a crafted `next` after sign-in sends staff to another site, or breaks the sign-in."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.staff_support import add_user, sign_in

CRAFTED = ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example", "/\x00/evil.example",
           "https://evil.example/", "//evil.example", "/\\evil.example", "\x0b//evil.example", "javascript:alert(1)"]


@pytest.mark.parametrize("crafted", CRAFTED, ids=repr)
def test_a_crafted_next_never_leaves_the_site_after_sign_in(app, crafted):
    add_user(app, "sam", "staff")
    response = sign_in(app.test_client(), "sam", next_path=crafted)
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert location.startswith("/") and not location.startswith("//") and not parts.netloc and not parts.scheme


def test_the_tab_trick_from_the_audit_lands_on_the_home_page(app):
    add_user(app, "sam", "staff")
    assert sign_in(app.test_client(), "sam", next_path="/\t/evil.example").headers["Location"] == "/"


def test_a_next_with_a_line_break_signs_in_and_stays_on_the_site(app):
    add_user(app, "sam", "staff")
    response = sign_in(app.test_client(), "sam", next_path="/calls\r\nSet-Cookie: x=1")
    assert response.status_code == 302 and response.headers["Location"].startswith("/calls")
    assert "x=1" not in " ".join(response.headers.getlist("Set-Cookie"))
