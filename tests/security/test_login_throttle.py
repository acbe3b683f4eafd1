"""Attack: parallel wrong passwords all get checked, and neither the account nor the address limit holds."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from lxml import html
from sqlmodel import Session, select

from db.models import AuditEvent, User
from simulator.server import serve
from staff.auth import IP_MAX_FAILURES, MAX_FAILURES
from tests.staff_support import PASSWORD, add_user

PARALLEL = 40


def parallel_sign_ins(base: str, usernames: list[str], password: str) -> list[int]:
    """POST /login once per username, all at once, from one browser session (one CSRF token)."""
    browser = requests.Session()
    form = html.fromstring(browser.get(base + "/login", timeout=60).content)
    token = form.xpath("//input[@name='csrf_token']/@value")[0]
    cookies = browser.cookies.get_dict()

    def attempt(username: str) -> int:
        return requests.post(base + "/login", data={"csrf_token": token, "username": username, "password": password},
                             cookies=cookies, allow_redirects=False, timeout=120).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(attempt, usernames))


def audit_count(engine, action: str) -> int:
    with Session(engine) as session:
        return len(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


@pytest.mark.slow
def test_forty_parallel_wrong_passwords_check_only_five_and_lock_the_account(app, engine):
    add_user(app, "sam", "staff")
    with serve(app) as base:
        codes = parallel_sign_ins(base, ["sam"] * PARALLEL, "not the password")
        assert sorted(set(codes)) == [401, 429] and codes.count(401) == MAX_FAILURES
        assert audit_count(engine, "login_failed") == MAX_FAILURES
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username == "sam")).one()
        assert user.locked_until is not None
        assert parallel_sign_ins(base, ["sam"], PASSWORD) == [429]  # locked, even with the right password


@pytest.mark.slow
def test_forty_parallel_wrong_passwords_from_one_address_check_only_twenty(app, engine):
    with serve(app) as base:
        codes = parallel_sign_ins(base, [f"nobody{n}" for n in range(PARALLEL)], "not the password")
    assert codes.count(401) == IP_MAX_FAILURES and codes.count(429) == PARALLEL - IP_MAX_FAILURES
    assert audit_count(engine, "login_failed") == IP_MAX_FAILURES


def test_a_right_password_after_some_failures_signs_in_and_starts_the_count_again(app, engine):
    add_user(app, "sam", "staff")
    with serve(app) as base:
        assert parallel_sign_ins(base, ["sam"] * (MAX_FAILURES - 1), "wrong") == [401] * (MAX_FAILURES - 1)
        assert parallel_sign_ins(base, ["sam"], PASSWORD) == [302]
        assert parallel_sign_ins(base, ["sam"] * (MAX_FAILURES - 1), "wrong") == [401] * (MAX_FAILURES - 1)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "sam")).one()
    assert user.locked_until is None and user.failed_logins == MAX_FAILURES - 1
