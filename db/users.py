"""Query functions for staff accounts, their services (teams) and API tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, func, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from db.models import ApiToken, LoginThrottle, User, UserService


def get_user(session: Session, user_id: int) -> User | None:
    """The account with this id."""
    return session.get(User, user_id)


def get_user_by_name(session: Session, username: str) -> User | None:
    """The account with this username (usernames are stored lower case)."""
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def get_users(session: Session) -> list[User]:
    """Every account, by username."""
    return list(session.exec(select(User).order_by(User.username)))


def save_user(session: Session, username: str, password_hash: str, role: str, now: datetime) -> User:
    """Add an account (the caller commits)."""
    user = User(username=username.strip().lower(), password_hash=password_hash, role=role, created_at=now)
    session.add(user)
    return user


def get_token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    """The API token with this hash."""
    return session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()


def get_token_by_name(session: Session, name: str) -> ApiToken | None:
    """The API token with this name."""
    return session.exec(select(ApiToken).where(ApiToken.name == name)).first()


def get_tokens(session: Session) -> list[ApiToken]:
    """Every API token, by name."""
    return list(session.exec(select(ApiToken).order_by(ApiToken.name)))


def save_token(session: Session, name: str, token_hash: str, now: datetime, scopes: str = "stats:read") -> ApiToken:
    """Add an API token by its hash, with its space-separated scopes (the caller commits)."""
    token = ApiToken(name=name, token_hash=token_hash, created_at=now, scopes=scopes)
    session.add(token)
    return token


def delete_token(session: Session, token: ApiToken) -> None:
    """Revoke an API token (the caller commits)."""
    session.delete(token)


def save_sign_in_attempt(session: Session, user_id: int, now: datetime) -> int | None:
    """Count an attempt on an unlocked account before its password is checked; None while it is locked.

    One UPDATE ... RETURNING: parallel attempts each get their own number, so no more than the limit are
    ever checked, however many arrive at once.
    """
    unlocked = (User.locked_until.is_(None)) | (User.locked_until <= now)
    return session.execute(update(User).where(User.id == user_id, unlocked)
                           .values(failed_logins=User.failed_logins + 1)
                           .returning(User.failed_logins)).scalar()


def save_account_lock(session: Session, user_id: int, until: datetime) -> None:
    """Lock an account until a time; its count of failures starts again."""
    session.execute(update(User).where(User.id == user_id).values(locked_until=until, failed_logins=0))


def save_sign_in_success(session: Session, user_id: int) -> None:
    """A right password: the account's count of failures starts again."""
    session.execute(update(User).where(User.id == user_id).values(failed_logins=0, locked_until=None))


def save_address_attempt(session: Session, address: str, now: datetime, window_start: datetime) -> int:
    """Count an attempt from a client address in its window (a new window once the old one began before
    window_start); returns the count including this one, in one atomic upsert."""
    insert = (sqlite_insert if session.connection().dialect.name == "sqlite" else postgresql_insert)(LoginThrottle)
    stale = LoginThrottle.window_started_at < window_start
    statement = insert.values(address=address, window_started_at=now, failures=1).on_conflict_do_update(
        index_elements=["address"],
        set_={"failures": case((stale, 1), else_=LoginThrottle.failures + 1),
              "window_started_at": case((stale, now), else_=LoginThrottle.window_started_at)},
    ).returning(LoginThrottle.failures)
    return session.execute(statement).scalar_one()


def save_address_success(session: Session, address: str) -> None:
    """A right password: its attempt from this address was not a failure."""
    session.execute(update(LoginThrottle).where(LoginThrottle.address == address)
                    .values(failures=func.max(LoginThrottle.failures - 1, 0)
                            if session.connection().dialect.name == "sqlite"
                            else func.greatest(LoginThrottle.failures - 1, 0)))


def get_user_services(session: Session, user_id: int) -> list[str]:
    """The services (teams) an account belongs to, in name order."""
    return list(session.exec(select(UserService.service).where(UserService.user_id == user_id)
                             .order_by(UserService.service)))


def get_services_by_user(session: Session) -> dict[int, list[str]]:
    """{account id: its services} for every account in a team."""
    found: dict[int, list[str]] = {}
    for user_id, service in session.exec(select(UserService.user_id, UserService.service)
                                         .order_by(UserService.service)):
        found.setdefault(user_id, []).append(service)
    return found


def save_user_services(session: Session, user_id: int, services: list[str]) -> None:
    """Make these the account's services, replacing any it had (the caller commits)."""
    session.execute(delete(UserService).where(UserService.user_id == user_id))
    session.add_all(UserService(user_id=user_id, service=service) for service in dict.fromkeys(services))


def get_usernames_seeing(session: Session, service: str, roles_seeing_all: tuple[str, ...]) -> list[str]:
    """The accounts that see a service's inbox: its team, and every account whose role sees all of them."""
    in_team = select(UserService.user_id).where(UserService.service == service)
    return list(session.exec(select(User.username).where(User.role.in_(roles_seeing_all) | User.id.in_(in_team))
                             .order_by(User.username)))
