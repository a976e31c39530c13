"""Security headers of every answer: a Content Security Policy with a per-request script nonce, HSTS and
Secure cookies when the site is served over HTTPS, and `Cache-Control: no-store` on the app's own pages.

Registered from the app factory with `register(app)`. A small module rather than Flask-Talisman 1.1.0
(which has nonces too): Talisman redirects to HTTPS and marks the session cookie Secure from a request
hook, leaves the remember-me cookie alone, decides HSTS per request (is_secure or X-Forwarded-Proto),
still sends the obsolete X-XSS-Protection, and knows nothing of Cache-Control; here all of it follows
one setting, read once at start.

- Scripts run only from the app itself ('self') or with this response's nonce: templates write
  `<script nonce="{{ csp_nonce() }}">`, and trusted HTML made by libraries (Folium's map shell) goes
  through the `nonced` filter. There is no 'unsafe-inline' for scripts and no inline event handler
  (forms ask before sending through `data-confirm`, handled by static/js/confirm.js).
- `PREFERRED_URL_SCHEME = "https"` is the HTTPS switch: Strict-Transport-Security on every answer,
  and the session and remember-me cookies are sent only over HTTPS.
- Every answer the app computes gets `Cache-Control: no-store` unless its view chose a policy itself
  (the map API's short private cache with ETags, the iCal feed, the service worker and its manifest).
  Static files and vendored assets keep their caching. The field pages are no-store too: the service
  worker keeps its offline copies in the Cache API, which does not follow HTTP caching headers, so
  offline mode is unaffected while a shared phone's HTTP cache holds no signed-in page.
"""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from markupsafe import Markup

# Answers that keep the caching their view gave them (immutable files with versioned URLs).
STATIC_ENDPOINTS = frozenset({"static", "vendor.asset"})
HSTS_DEFAULT_SECONDS = 365 * 24 * 3600
_SCRIPT_TAG = re.compile(r"<script\b(?![^>]*\snonce=)", re.IGNORECASE)


def register(app: Flask) -> None:
    """Bind the headers to `app`: Secure cookies under HTTPS, the nonce for templates, the response hook."""
    if https_enabled(app.config):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["nonced"] = nonced
    app.after_request(set_security_headers)


def https_enabled(config) -> bool:
    return str(config.get("PREFERRED_URL_SCHEME") or "").lower() == "https"


def csp_nonce() -> str:
    """This request's script nonce (made on first use; each request has its own app context)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def nonced(html) -> Markup:
    """Trusted HTML (a library's output, never user input) with this request's nonce on each <script>."""
    return Markup(_SCRIPT_TAG.sub(lambda m: f'{m.group(0)} nonce="{csp_nonce()}"', str(html)))


def content_security_policy(config, nonce: str) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        # Styles keep 'unsafe-inline': the templates use style="" attributes (column widths, pre-line
        # notes, colour swatches) and Leaflet's layer control and attribution write inline styles. A style
        # cannot run code, and scripts stay nonce-only.
        "style-src": ["'self'", "'unsafe-inline'"],
        # Map tiles come from the configured tile server; Leaflet and Bootstrap use data: images.
        "img-src": ["'self'", "data:", *tile_sources(config)],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        # The field pages' offline service worker (/sw.js).
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        # No page of the app is meant to be framed (the maps are plain <div>s, not iframes).
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def tile_sources(config) -> list[str]:
    """CSP sources for the map tiles: the host of MAP_TILE_URL ({s}.host -> *.host) and CSP_EXTRA_IMG_SRC."""
    sources = []
    url = config.get("MAP_TILE_URL") or ""
    parts = urlsplit(url)
    if parts.scheme and parts.netloc:
        host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
        if "*" not in host or (host.startswith("*.") and host.count("*") == 1):
            sources.append(f"{parts.scheme}://{host}")
        else:
            sources.append(f"{parts.scheme}:")  # a placeholder a CSP host cannot express: the whole scheme
    sources.extend(config.get("CSP_EXTRA_IMG_SRC") or ())
    return sources


def set_security_headers(response):
    """after_request: CSP, framing, sniffing and referrer headers; HSTS under HTTPS; no-store on dynamic answers."""
    config = current_app.config
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(config, csp_nonce()))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if https_enabled(config):
        value = f"max-age={int(config.get('HSTS_SECONDS', HSTS_DEFAULT_SECONDS))}"
        if config.get("HSTS_INCLUDE_SUBDOMAINS"):
            value += "; includeSubDomains"
        headers.setdefault("Strict-Transport-Security", value)
    if request.endpoint not in STATIC_ENDPOINTS and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response
