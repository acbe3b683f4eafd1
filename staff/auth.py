"""Staff sign-in: argon2 password hashes, roles, limited failed logins, and the login_required decorator."""
from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (Blueprint, abort, current_app, g, has_app_context, redirect, render_template, request, session,
                   url_for)

from db.audit import save_audit_event
from db.models import User
from db.session import get_session, get_write_session
from db.users import (get_user, get_user_by_name, save_account_lock, save_address_attempt, save_address_success,
                      save_sign_in_attempt, save_sign_in_success, save_user, save_user_services)
from ivr.clock import app_now
from messages.inbox import SERVICES
from routing.phone import is_uk_number, normalise_number
from staff.errors import error_pages

bp = Blueprint("auth", __name__)
error_pages(bp)

ROLES = ("staff", "supervisor", "admin")  # each role can do everything the roles before it can
MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5  # failed sign-ins in a row that lock an account
LOCK_MINUTES = 15
IP_MAX_FAILURES = 20  # failed sign-ins from one address within IP_WINDOW before it is refused
IP_WINDOW = timedelta(minutes=15)
# argon2-cffi's default, RFC 9106's low-memory profile (t=3, 64 MiB, p=4): every real deployment hashes with it.
PRODUCTION_HASHER = PasswordHasher()
# IVR_ENV=test only: the suite signs in hundreds of times, and the parameters are not what it tests.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def password_hasher() -> PasswordHasher:
    """The app's hasher: production parameters unless the app runs with IVR_ENV=test."""
    test = has_app_context() and current_app.config["SETTINGS"].env == "test"
    return TEST_HASHER if test else PRODUCTION_HASHER


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified when the username is unknown, so a wrong name takes as long as a wrong password."""
    return hasher.hash("not-a-real-password")


class UserError(ValueError):
    """A new account or password that cannot be accepted; the message says why."""


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return password_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash."""
    try:
        return password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(username: str, password: str) -> None:
    """Raise UserError for a password too short or equal to the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip().lower() == username.strip().lower():
        raise UserError("the password must not be the username")


def check_services(services: list[str]) -> list[str]:
    """The services (teams) named, or UserError for one that is not a line."""
    unknown = [service for service in services if service not in SERVICES]
    if unknown:
        raise UserError(f"unknown service {unknown[0]!r}: use {', '.join(SERVICES)}")
    return list(dict.fromkeys(services))


def check_phone(number: str | None) -> str | None:
    """A staff phone in E.164 (None for none), or UserError: "Call back" rings only a UK number."""
    if not (number or "").strip():
        return None
    e164 = normalise_number(number)
    if not is_uk_number(e164):
        raise UserError(f"{number!r} is not a UK phone number")
    return e164


def create_user(db, username: str, password: str, role: str, now: datetime, actor: str = "cli",
                services: list[str] = (), phone: str | None = None) -> User:
    """Add a staff account with a hashed password, its services (teams) and its phone; raises UserError for a bad
    name, role, password, service or phone."""
    name = username.strip().lower()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise UserError("the username must be 1-64 letters, digits or . _ - @")
    if role not in ROLES:
        raise UserError(f"the role must be one of {', '.join(ROLES)}")
    check_new_password(name, password)
    teams, number = check_services(list(services)), check_phone(phone)
    if get_user_by_name(db, name) is not None:
        raise UserError(f"an account named {name!r} already exists")
    user = save_user(db, name, hash_password(password), role, now)
    user.phone = number
    if teams:
        db.flush()  # the account's id, for its services
        save_user_services(db, user.id, teams)
    save_audit_event(db, actor, "user_added", f"{name} role={role}" + (f" services={','.join(teams)}" if teams else "")
                     + (" phone set" if number else ""),
                     at=now)
    db.commit()
    return user


def has_role(user: User, role: str | None) -> bool:
    """Whether the user's role is at least `role` (staff < supervisor < admin)."""
    if role is None:
        return True
    rank = ROLES.index(user.role) if user.role in ROLES else -1
    return rank >= ROLES.index(role)


def _fingerprint(user: User) -> str:
    # Changing the password changes the hash, which signs out every session of the old password.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def current_user() -> User | None:
    """The signed-in staff member of this request, if any."""
    if "current_user" not in g:
        user = None
        uid = session.get("uid")
        if isinstance(uid, int):
            user = get_user(get_session(), uid)
            if user is not None and session.get("auth") != _fingerprint(user):
                user = None
        g.current_user = user
    return g.current_user


def login_required(role=None):
    """Decorate a view: signed-in staff only (redirect to /login), and at least `role` if given (else 403)."""
    if callable(role):  # used bare, as @login_required
        return login_required()(role)
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {ROLES}")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not has_role(user, role):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_role = role or ROLES[0]
        return wrapper

    return decorator


def safe_next(target: str | None) -> str:
    """Only a path on this site, never another origin: control characters go first, since browsers drop them."""
    path = "".join(c for c in (target or "") if c.isprintable() and not c.isspace() or c == " ")
    parts = urlsplit(path)
    if (path.startswith("/") and not path.startswith("//") and "\\" not in path
            and not parts.scheme and not parts.netloc):
        return path
    return url_for("staff.home")


def _refuse(message: str, status: int, username: str = "", retry_after: int | None = None):
    response = current_app.make_response((render_template(
        "login.html", error=message, username=username, next=request.form.get("next", "")), status))
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _record_failure(user: User | None, attempt: int | None, ip: str, now: datetime) -> None:
    db = get_write_session()
    save_audit_event(db, user.username if user else "unknown-user", "login_failed", f"ip={ip}", at=now)
    if user is not None and attempt is not None and attempt >= MAX_FAILURES:
        save_account_lock(db, user.id, now + timedelta(minutes=LOCK_MINUTES))
        save_audit_event(db, user.username, "account_locked", f"ip={ip}", at=now)
    db.commit()


def _locked(db, user: User, now: datetime):
    db.refresh(user)
    until = user.locked_until if user.locked_until and user.locked_until > now else now + timedelta(minutes=LOCK_MINUTES)
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return _refuse(f"This account is locked after {MAX_FAILURES} failed sign-ins. Try again in {minutes} "
                   "minutes, or ask an administrator to unlock it.", 429, user.username, retry_after=minutes * 60)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with a username and password."""
    if request.method == "GET":
        return render_template("login.html", error=None, username="", next=request.args.get("next", ""))
    db, now = get_session(), app_now()
    username = request.form.get("username", "").strip().lower()[:64]
    password = request.form.get("password", "")
    ip = (request.remote_addr or "unknown")[:64]
    # Every attempt is counted before its password is checked, each in one atomic statement that is
    # committed at once: parallel guesses cannot all pass a limit read before any of them was counted.
    here = save_address_attempt(get_write_session(), ip, now, now - IP_WINDOW)
    db.commit()
    if here > IP_MAX_FAILURES:
        return _refuse("Too many failed sign-ins from this network. Try again in 15 minutes.", 429,
                       username, retry_after=int(IP_WINDOW.total_seconds()))
    user = get_user_by_name(db, username) if username else None
    db.commit()  # end the read: the count below takes the write lock first
    attempt = save_sign_in_attempt(get_write_session(), user.id, now) if user is not None else None
    db.commit()
    if user is not None and (attempt is None or attempt > MAX_FAILURES):
        save_address_success(get_write_session(), ip)  # refused unchecked: not a failure from this address
        db.commit()
        return _locked(db, user, now)
    if not verify_password(user.password_hash if user else _dummy_hash(password_hasher()), password) or user is None:
        _record_failure(user, attempt, ip, now)
        return _refuse("The username or password is not right.", 401, username)
    db = get_write_session()
    save_sign_in_success(db, user.id)
    save_address_success(db, ip)
    if password_hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    save_audit_event(db, user.username, "login", f"ip={ip}", at=now)
    db.commit()
    session.clear()  # a fresh session at sign-in: nothing set before it survives (session fixation)
    session.permanent = True
    session.update(uid=user.id, auth=_fingerprint(user))
    return redirect(safe_next(request.form.get("next")))


@bp.route("/logout", methods=["GET", "POST"])
@login_required()
def logout():
    """Sign out (POST); GET shows the sign-out button."""
    if request.method == "GET":
        return render_template("logout.html")
    user = current_user()
    db = get_session()
    save_audit_event(db, user.username, "logout", None, at=app_now())
    db.commit()
    session.clear()
    return redirect(url_for("auth.login"))
