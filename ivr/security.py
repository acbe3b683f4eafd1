"""Security headers on every response, and proxy headers trusted only behind a known proxy."""
from __future__ import annotations

import ipaddress

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


class TrustedProxyFix:
    """ProxyFix for requests from the trusted proxies only: anyone else's X-Forwarded-* headers are ignored.

    Without it a client that reaches the app directly could name any address in X-Forwarded-For and so
    step round the per-address sign-in throttle.
    """

    def __init__(self, wsgi_app, allowed: tuple[str, ...], hops: int):
        self.direct = wsgi_app
        self.fixed = ProxyFix(wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
        self.any = "*" in allowed
        self.networks = [ipaddress.ip_network(a, strict=False) for a in allowed if a != "*"]

    def trusted(self, address: str | None) -> bool:
        """Whether a peer address is one of the trusted proxies."""
        if self.any:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        app = self.fixed if self.trusted(environ.get("REMOTE_ADDR")) else self.direct
        return app(environ, start_response)


def init_app(app: Flask) -> None:
    """Add the headers to every response; trust X-Forwarded-* only behind PUBLIC_BASE_URL's proxy."""
    settings = app.config["SETTINGS"]
    app.after_request(add_security_headers)
    # The one owner of the session cookie's flags. Secure whenever the public origin is https, in any
    # IVR_ENV (production requires https); a development server on http:// can still sign in.
    app.config.update(SESSION_COOKIE_NAME="mash_ivr_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=bool(settings.public_base_url
                                                 and settings.public_base_url.startswith("https://")))
    hops = settings.proxy_fix_hops
    if settings.public_base_url and hops:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, settings.forwarded_allow_ips, hops)
