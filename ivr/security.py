"""Security headers on every response, and proxy headers trusted only behind a known proxy."""
from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Staff pages load scripts and stylesheets from /static only; inline <svg> charts and style
# attributes are allowed (style-src 'unsafe-inline'), inline scripts are not.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: Flask-WTF's CSRF check over https needs a same-origin Referer.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Set the security headers; HSTS only over https, where browsers honour it."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    # Staff pages show personal data: no shared or browser caches unless a view says otherwise.
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response; trust X-Forwarded-* only behind PUBLIC_BASE_URL's proxy."""
    settings = app.config["SETTINGS"]
    app.after_request(add_security_headers)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    if settings.public_base_url and settings.public_base_url.startswith("https://") and settings.env == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
    hops = settings.proxy_fix_hops
    if settings.public_base_url and hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
