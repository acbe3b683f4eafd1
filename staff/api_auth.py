"""The API's bearer tokens and their scopes, and its JSON errors: shared by every /api blueprint."""
from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from db.session import BUSY_ERRORS, get_session
from db.users import get_token_by_hash

TOKEN_PREFIX = "mivr_"
LAST_USED_EVERY = timedelta(minutes=1)  # note use at most once a minute: a busy script need not write each time
STATS_READ, CONTACTS_WRITE = "stats:read", "contacts:write"
SCOPES = (STATS_READ, CONTACTS_WRITE)  # stats:read is every token's from before scopes, and the default


def new_token() -> str:
    """A fresh random API token (shown once; only its hash is kept)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token (a 256-bit random token needs a plain hash, not a slow password hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def json_error(message: str, status: int, **extra):
    """A JSON error reply: {"error": message, ...extra}."""
    response = jsonify({"error": message, **extra})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="mash-ivr", error="invalid_token"'
    return response


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_required(scope: str):
    """The view needs a valid token with `scope`: 401 without one, 403 when the token lacks the scope."""
    def decorate(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            token = _bearer_token()
            if token is None:
                return json_error("Send an API token as 'Authorization: Bearer TOKEN' (make one with ivr tokens "
                                  "create).", 401)
            db = get_session()
            stored = get_token_by_hash(db, token_hash(token))
            if stored is None:
                return json_error("The API token is not valid (it may have been revoked).", 401)
            if scope not in stored.scopes.split():
                return json_error(f"This token may not do this: it needs the scope {scope} "
                                  f"(ivr tokens create NAME --scope {scope}).", 403)
            now = current_app.config["CLOCK"]()
            if stored.last_used_at is None or now - stored.last_used_at > LAST_USED_EVERY:
                stored.last_used_at = now
                try:
                    db.commit()
                except BUSY_ERRORS:
                    db.rollback()  # a note of use, not worth failing the request for: the next one keeps it
            g.api_token = stored.name
            return view(*args, **kwargs)
        checked.required_scope = scope
        return checked
    return decorate


def register_json_errors(bp: Blueprint) -> None:
    """The blueprint's HTTP errors (404, 405, 413...) are JSON too."""
    @bp.errorhandler(HTTPException)
    def _json_error(error: HTTPException):
        return json_error(error.description, error.code)
