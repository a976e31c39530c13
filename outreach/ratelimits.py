"""Rate limits: how often one client address or one user may call the login, the API and the map data.

Flask-Limiter counts in the storage named by `RATELIMIT_STORAGE_URI`: `memory://` (the default, one
counter per process: development and a single worker) or `redis://127.0.0.1:6379/0` in production, where
every gunicorn worker and every machine must see the same counters. The limits themselves are settings
(`RATELIMIT_LOGIN`, `RATELIMIT_API`, `RATELIMIT_API_PER_ADDRESS`, `RATELIMIT_MAP`, and the public visit
requests' `REQUEST_FORM_LIMIT`, `REQUEST_FORM_ATTEMPT_LIMIT`, `REQUEST_STATUS_LIMIT`; see docs/production.md).

`RATE_LIMITS` switches them on or off: None (the default) means on, except under TESTING, where the suite
signs in hundreds of times from one address; the tests of the limits turn them on.

A client is known by its address as the WSGI server sees it (`request.remote_addr`). Behind nginx, set
`PROXY_FIX_X_FOR = 1` (the number of proxies in front) so werkzeug's ProxyFix puts the browser's address
there; without it every client would share the proxy's address and so one limit.

The login's own per-account counting (which must never lock an owner out) is in outreach.auth.throttle; it
uses the same storage through `hit`, `clear` and `seconds_left` below.
"""
from __future__ import annotations

import logging
import time
from typing import Optional

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from limits import parse_many

log = logging.getLogger(__name__)


def client_address() -> str:
    """The client's address (after ProxyFix, when the app is configured behind a proxy)."""
    return request.remote_addr or "unknown"


def principal() -> str:
    """Who an API call counts against: the signed-in user (session or bearer token), else the address."""
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{client_address()}"


def address_key() -> str:
    return f"ip:{client_address()}"


def limits_on() -> bool:
    """RATE_LIMITS: True / False, or None for "on unless TESTING"."""
    setting = current_app.config.get("RATE_LIMITS")
    if setting is None:
        return not current_app.testing
    return bool(setting)


limiter = Limiter(key_func=client_address, headers_enabled=True, swallow_errors=True,
                  in_memory_fallback_enabled=True)


@limiter.request_filter
def _limits_off() -> bool:
    return not limits_on()


# Limit values are read from the config at request time (so instance/config.py and FLASK_* variables apply).

def login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def api_limit() -> str:
    return current_app.config["RATELIMIT_API"]


def api_address_limit() -> str:
    return current_app.config["RATELIMIT_API_PER_ADDRESS"]


def map_limit() -> str:
    return current_app.config["RATELIMIT_MAP"]


def request_form_limit() -> str:
    return current_app.config["REQUEST_FORM_LIMIT"]


def request_attempt_limit() -> str:
    return current_app.config["REQUEST_FORM_ATTEMPT_LIMIT"]


def request_status_limit() -> str:
    return current_app.config["REQUEST_STATUS_LIMIT"]


def _request_created(response) -> bool:
    """A visit request was accepted: 201 from the API, the form's redirect to its "terkirim" page."""
    return response.status_code in (201, 303)


def request_creation_limits(view):
    """Creating a visit request without a login (the public form and the public API share the budgets), per
    client address, so one address's burst never blocks another's: REQUEST_FORM_LIMIT counts accepted
    requests (someone correcting a typo is not punished), REQUEST_FORM_ATTEMPT_LIMIT every POST."""
    view = limiter.shared_limit(request_form_limit, scope="request-create", key_func=address_key,
                                methods=["POST"], deduct_when=_request_created, override_defaults=False)(view)
    return limiter.shared_limit(request_attempt_limit, scope="request-attempt", key_func=address_key,
                                methods=["POST"], override_defaults=False)(view)


def request_status_limits(view):
    """Looking up a request's status (code + last 4 phone digits) per client address: REQUEST_STATUS_LIMIT
    keeps anyone from trying codes in bulk."""
    return limiter.shared_limit(request_status_limit, scope="request-status", key_func=address_key,
                                override_defaults=False)(view)


def register(app: Flask) -> None:
    """Bind the limiter. Called after the access guard is registered, so an API call's bearer token has
    already signed its user in when the limits are counted (a token's calls count against its user)."""
    from outreach.api import bp as api_bp

    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    if app.config.get("PROXY_FIX_X_FOR"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_X_FOR"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)
    limiter.init_app(app)
    # The whole API (the map page's data included), all endpoints together: per user (session or token)
    # and per address (many tokens from one machine). The map endpoints add their own, lower limit.
    limiter.shared_limit(api_limit, scope="api", key_func=principal)(api_bp)
    limiter.shared_limit(api_address_limit, scope="api-address", key_func=address_key)(api_bp)

    @app.errorhandler(RateLimitExceeded)
    def too_many(e: RateLimitExceeded):
        return too_many_response(None)


def wait_message(seconds: Optional[int]) -> str:
    """'Wait N minutes/seconds' in the user's language."""
    if seconds is None or seconds <= 0:
        return _("Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi.")
    if seconds < 120:
        return _("Terlalu banyak permintaan. Tunggu %(n)s detik lalu coba lagi.", n=seconds)
    return _("Terlalu banyak permintaan. Tunggu %(n)s menit lalu coba lagi.", n=(seconds + 59) // 60)


def too_many_response(seconds: Optional[int], message: Optional[str] = None):
    """429 in the API's JSON error shape under /api/, else the error page; Retry-After when known
    (Flask-Limiter adds it for its own limits)."""
    from flask import render_template

    from outreach.security import is_api_request, json_error

    message = message or wait_message(seconds)
    if is_api_request():
        response, status = json_error(429, message)
    else:
        response = current_app.make_response((render_template("error.html", code=429, message=message), 429))
        status = 429
    if seconds:
        response.headers["Retry-After"] = str(seconds)
    return response, status


# ---------------------------------------------------------------- counters for outreach.auth.throttle

def _items(spec: str):
    return parse_many(spec)


def _key(key: tuple) -> tuple:
    """The identifiers of a counter, under the installation's RATELIMIT_KEY_PREFIX like Flask-Limiter's own."""
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "jb", *key)


def _strategy():
    """The limiter's counting strategy, or None when Flask-Limiter itself is switched off
    (RATELIMIT_ENABLED=False: it then sets up no storage, and nothing is counted)."""
    return limiter.limiter if limiter.enabled else None


def hit(spec: str, *key: str) -> Optional[int]:
    """Count one event against every limit of `spec` (e.g. "5 per 15 minutes") for `key`, atomically (a
    counter increment in the storage, so parallel requests cannot overshoot). None when within the limits,
    else the seconds until the exceeded window ends."""
    strategy, key = _strategy(), _key(key)
    if strategy is None:
        return None
    try:
        for item in _items(spec):
            if not strategy.hit(item, *key):
                reset = strategy.get_window_stats(item, *key).reset_time
                return max(int(reset - time.time()) + 1, 1)
    except Exception:  # storage down: let the request through rather than lock everyone out
        log.exception("rate-limit storage unreachable; login counted nowhere")
    return None


def clear(spec: str, *key: str) -> None:
    """Forget the counts of `key` under every limit of `spec`."""
    strategy, key = _strategy(), _key(key)
    if strategy is None:
        return
    try:
        for item in _items(spec):
            strategy.clear(item, *key)
    except Exception:
        log.exception("rate-limit storage unreachable; counter not cleared")


def reset_all() -> None:
    """Forget every counter (tests)."""
    limiter.reset()
