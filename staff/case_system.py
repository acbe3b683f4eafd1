"""/case-system (admins): the pushes to the case system's webhook, and whether it has taken them."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from db.pushes import get_push_counts, get_recent_pushes
from db.session import get_session
from staff.auth import login_required
from staff.errors import error_pages

bp = Blueprint("case_system", __name__)
error_pages(bp)
LISTED = 100


@bp.get("/case-system")
@login_required(role="admin")
def index():
    """Pushes by state, and the newest with their tries and last error."""
    db = get_session()
    return render_template("case_system.html", counts=get_push_counts(db), pushes=get_recent_pushes(db, LISTED),
                           url=current_app.config["SETTINGS"].case_system_webhook_url, listed=LISTED)
