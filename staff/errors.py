"""Staff pages' errors shown as plain pages in the staff layout."""
from __future__ import annotations

from flask import render_template
from flask_wtf.csrf import CSRFError

ERROR_TITLES = {
    400: "The request could not be used",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    429: "Too many attempts",
    502: "The message could not be fetched",
    500: "Sorry, there is a problem with the service",
}


def error_pages(blueprint) -> None:
    """Show this blueprint's errors as plain staff pages (called once, where the blueprint is made)."""
    for code in ERROR_TITLES:
        blueprint.register_error_handler(code, _error_page)


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    message = getattr(error, "description", None) if code != 500 else None
    if isinstance(error, CSRFError):
        message = "The form had expired or did not come from this site. Go back, reload the page and try again."
    return render_template("error.html", title=ERROR_TITLES.get(code, "Something went wrong"),
                           message=message, code=code), code
