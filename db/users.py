"""Query functions for staff accounts and API tokens."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from db.models import ApiToken, User


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


def save_token(session: Session, name: str, token_hash: str, now: datetime) -> ApiToken:
    """Add an API token by its hash (the caller commits)."""
    token = ApiToken(name=name, token_hash=token_hash, created_at=now)
    session.add(token)
    return token


def delete_token(session: Session, token: ApiToken) -> None:
    """Revoke an API token (the caller commits)."""
    session.delete(token)
