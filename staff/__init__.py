"""Staff pages, the supervisors' dashboard, CSV exports and the stats API, behind a staff sign-in."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, request
from flask_wtf.csrf import CSRFProtect

from callbacks import notify_receipts
from ivr.twilio_auth import TWILIO_ROUTE_ATTR
from staff import api, auth, case_system, contacts_api, dashboard, filters, live, messages, reasons, views
from staff.auth import current_user, has_role

SESSION_HOURS = 12  # a working day; then staff sign in again
# The pages each role sees in the navigation; other features add theirs with add_nav_item.
DEFAULT_NAV = (
    ("Calls", "staff.calls", "staff"),
    ("Live calls", "live.live", "staff"),
    ("Contacts", "staff.contacts", "staff"),
    ("Messages", "messages.inbox", "staff"),
    ("Dashboard", "dashboard.dashboard", "supervisor"),
    ("Standard reasons", "reasons.index", "admin"),
    ("Case system", "case_system.index", "admin"),
    ("Audit log", "staff.audit", "admin"),
)


def add_nav_item(app: Flask, label: str, endpoint: str, role: str = "staff") -> None:
    """Add a link to the staff navigation, shown to `role` and the roles above it."""
    app.config.setdefault("STAFF_NAV", [])
    app.config["STAFF_NAV"].append({"label": label, "endpoint": endpoint, "role": role})


def _check_csrf():
    """Every form post needs the CSRF token, except Twilio's webhooks (signed) and the token API."""
    # The token APIs, and Notify's receipts (a bearer token too): no form, no session.
    api_blueprints = (api.bp.name, contacts_api.bp.name, notify_receipts.bp.name)
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or request.blueprint in api_blueprints:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, TWILIO_ROUTE_ATTR, False):
        return
    current_app.extensions["csrf"].protect()


def _template_context():
    user = current_user()
    nav = [item for item in current_app.config.get("STAFF_NAV", [])
           if user is not None and has_role(user, item["role"])]
    return {"current_user": user, "nav_items": nav}


def init_app(app: Flask) -> None:
    """Register the staff blueprints, CSRF checks, template helpers and error pages."""
    # The session cookie's flags are ivr.security's (their one owner).
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by _check_csrf, which knows Twilio's signed routes
        WTF_CSRF_TIME_LIMIT=None,  # a token lasts as long as the session: pages stay open all day
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )
    app.config.setdefault("STAFF_NAV", [])
    app.config["STAFF_NAV"][:0] = [{"label": label, "endpoint": endpoint, "role": role}
                                   for label, endpoint, role in DEFAULT_NAV]
    CSRFProtect(app)
    app.before_request(_check_csrf)
    app.context_processor(_template_context)
    filters.init_app(app)
    for blueprint in (auth.bp, views.bp, live.bp, messages.bp, dashboard.bp, api.bp, contacts_api.bp, reasons.bp,
                      case_system.bp):
        app.register_blueprint(blueprint)
