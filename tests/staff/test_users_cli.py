"""`ivr users ...` and `ivr tokens ...`: accounts with argon2 hashes, tokens shown once and stored hashed."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from db.models import ApiToken, AuditEvent, User
from ivr import create_app
from ivr.config import load_settings
from staff.api_auth import token_hash
from staff.auth import hash_password
from staff.cli import tokens_group, users_group
from tests.conftest import TEST_ENV
from tests.staff_support import PASSWORD, sign_in


def _run(app, group, args, stdin: str | None = None):
    return app.test_cli_runner().invoke(group, args, input=stdin)


def _users(app) -> list[User]:
    with Session(app.extensions["db_engine"]) as session:
        return list(session.exec(select(User)))


def test_users_add_asks_for_the_password_twice_and_stores_an_argon2_hash(app):
    result = _run(app, users_group, ["add", "Priya", "--role", "supervisor"], f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    [user] = _users(app)
    assert (user.username, user.role) == ("priya", "supervisor")
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert sign_in(app.test_client(), "priya").status_code == 302


def test_two_different_passwords_at_the_prompt_add_nobody(app):
    result = _run(app, users_group, ["add", "priya"], f"{PASSWORD}\nsomething else\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert _users(app) == []


def test_the_password_can_come_from_stdin_for_scripts(app):
    result = _run(app, users_group, ["add", "ops", "--role", "admin", "--password-stdin"], f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    assert sign_in(app.test_client(), "ops").status_code == 302


def test_a_short_password_a_duplicate_or_an_unknown_role_is_refused(app):
    short = _run(app, users_group, ["add", "sam", "--password-stdin"], "short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    assert _run(app, users_group, ["add", "sam", "--password-stdin"], f"{PASSWORD}\n").exit_code == 0
    duplicate = _run(app, users_group, ["add", "SAM", "--password-stdin"], f"{PASSWORD}\n")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    role = _run(app, users_group, ["add", "kim", "--role", "owner", "--password-stdin"], f"{PASSWORD}\n")
    assert role.exit_code == 2 and "owner" in role.output
    assert [user.username for user in _users(app)] == ["sam"]


def test_users_list_shows_names_and_roles_never_hashes(app):
    _run(app, users_group, ["add", "sam", "--role", "staff", "--password-stdin"], f"{PASSWORD}\n")
    _run(app, users_group, ["add", "ada", "--role", "admin", "--password-stdin"], f"{PASSWORD}\n")
    result = _run(app, users_group, ["list"])
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["ada", "admin"], ["sam", "staff"]]
    assert "argon2" not in result.output


def test_users_unlock_lets_a_locked_account_sign_in_again(app, clock):
    _run(app, users_group, ["add", "sam", "--password-stdin"], f"{PASSWORD}\n")
    client = app.test_client()
    for _ in range(5):
        sign_in(client, "sam", "wrong password!")
    assert sign_in(client, "sam").status_code == 429
    with Session(app.extensions["db_engine"]) as session:
        assert session.exec(select(User)).one().locked_until > clock.now + timedelta(minutes=14)
    assert _run(app, users_group, ["unlock", "sam"]).exit_code == 0
    assert sign_in(client, "sam").status_code == 302


def test_tokens_create_prints_the_token_once_and_keeps_only_its_hash(app):
    result = _run(app, tokens_group, ["create", "powerbi"])
    assert result.exit_code == 0
    token = result.stdout.split(": ", 1)[1].strip()
    assert token.startswith("mivr_") and len(token) > 40
    with Session(app.extensions["db_engine"]) as session:
        stored = session.exec(select(ApiToken)).one()
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "token_created")).one()
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash
    assert audit.detail == "powerbi (stats:read)"
    listing = _run(app, tokens_group, ["list"]).output
    assert "powerbi" in listing and token not in listing and "last used never" in listing
    assert listing.rstrip().endswith("scopes stats:read"), "a token made without --scope reads the figures only"


def test_a_token_is_given_each_scope_named_and_an_unknown_scope_is_refused(app):
    made = _run(app, tokens_group, ["create", "lcs", "--scope", "contacts:write", "--scope", "stats:read"])
    assert made.exit_code == 0
    with Session(app.extensions["db_engine"]) as session:
        assert session.exec(select(ApiToken)).one().scopes == "stats:read contacts:write"
    wrong = _run(app, tokens_group, ["create", "other", "--scope", "contacts:delete"])
    assert wrong.exit_code == 2 and "contacts:delete" in wrong.output


def test_token_names_are_unique_and_revoking_an_unknown_token_fails(app):
    assert _run(app, tokens_group, ["create", "powerbi"]).exit_code == 0
    again = _run(app, tokens_group, ["create", "powerbi"])
    assert again.exit_code == 1 and "already exists" in again.output
    missing = _run(app, tokens_group, ["revoke", "nothing"])
    assert missing.exit_code == 1 and "no token named" in missing.output


PRODUCTION_PARAMETERS = "$argon2id$v=19$m=65536,t=3,p=4$"  # RFC 9106's low-memory profile


def test_outside_the_test_configuration_passwords_are_hashed_with_rfc_9106_parameters(clock):
    for env in ("development", "production"):
        app = create_app(load_settings(dict(TEST_ENV, IVR_ENV=env, DATABASE_URL="sqlite://",
                                            DUTY_NUMBERS="+447400123001",
                                            SECRET_KEY="a-long-random-production-secret-key-0123456789")))
        with app.app_context():
            assert hash_password(PASSWORD).startswith(PRODUCTION_PARAMETERS), env
    assert hash_password(PASSWORD).startswith(PRODUCTION_PARAMETERS)  # no app at all: the production cost


def test_only_the_test_configuration_hashes_cheaply(app):
    with app.app_context():
        cheap = hash_password(PASSWORD)
    assert cheap.startswith("$argon2id$") and not cheap.startswith(PRODUCTION_PARAMETERS)
