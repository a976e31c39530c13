"""Login throttling that slows a password guesser down without letting anyone lock an owner out.

Three counters, all kept in the rate-limit storage (outreach.ratelimits: memory in development, Redis in
production, so every worker sees the same counts), all counted *before* the password is checked: a
counter increment is atomic, so sixteen parallel wrong attempts run at most as many password checks as
the limit allows, never more.

1. Per client address, every POST to /login (`RATELIMIT_LOGIN`, Flask-Limiter on the view): one machine
   cannot try many names. A browser signing in to a name it signed in to before is not counted, so a
   whole office behind one address can sign in at 08:00.
2. Per (typed user name, client) (`LOGIN_PAIR_LIMIT`, e.g. 5 per 15 minutes): past it, *that pair
   only* is refused until its window ends. The owner signing in from another address is not touched,
   so a stranger cannot lock the account. A successful login clears the pair's count. The client is
   the address, or, for a browser holding a device cookie of that user, the browser itself: a
   stranger behind the same office NAT does not block the owner's own computer either.
3. Per typed user name from browsers that never signed in to it (`LOGIN_ACCOUNT_LIMIT`, e.g. 30 per
   hour): stops a guesser spread over many addresses. A browser holding a device cookie of that user
   (set at each successful login: a random device id and the names signed in from it, signed, valid
   `LOGIN_DEVICE_DAYS`) skips this counter, so the owner's own phone or office computer still signs in
   while a botnet is at it; only a first login on a new device may have to wait.

There is no account lock any more (`locked_until` is left unused). Counters are keyed by the typed name
whether or not such a user exists, and unknown names get a dummy password check of the same cost
(outreach.models.accounts.dummy_password_check), so neither the answer, its status nor its time tells
whether an account exists.
"""
from __future__ import annotations

import secrets
from typing import Optional

from flask import Response, current_app, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from outreach import ratelimits

DEVICE_COOKIE = "jb_device"
_DEVICE_SALT = "login-device"
_MAX_DEVICE_NAMES = 5


def account_key(username: str) -> str:
    """The name a counter is kept under: as typed, without case or surrounding spaces."""
    return username.strip().lower()[:64]


def check_attempt(username: str) -> Optional[int]:
    """Count one login attempt for `username` from this client; None when it may go on to the password
    check, else the seconds to wait."""
    if not ratelimits.limits_on():
        return None
    cfg, name = current_app.config, account_key(username)
    wait = ratelimits.hit(cfg["LOGIN_PAIR_LIMIT"], "login-pair", name, _client_for(name))
    if wait is None and _device_for(name) is None:
        wait = ratelimits.hit(cfg["LOGIN_ACCOUNT_LIMIT"], "login-account", name)
    return wait


def own_device_login() -> bool:
    """Whether the name typed on this POST is one this browser signed in to recently (then the address
    limit does not count it: only strangers' attempts fill an office's shared address)."""
    return _device_for(account_key(request.form.get("username", ""))) is not None


def succeeded(username: str) -> None:
    """A successful login: this client's count for the name starts again."""
    if ratelimits.limits_on():
        name = account_key(username)
        ratelimits.clear(current_app.config["LOGIN_PAIR_LIMIT"], "login-pair", name, _client_for(name))


def _client_for(name: str) -> str:
    """Who the (name, client) counter counts: the browser when it is a known device of `name`, else the
    address."""
    device = _device_for(name)
    return f"device:{device}" if device else f"ip:{ratelimits.client_address()}"


# ---------------------------------------------------------------- the device cookie

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def _device() -> tuple[Optional[str], list[str]]:
    """(device id, user names signed in from it) of this browser's cookie, if valid and recent."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None, []
    try:
        data = _serializer().loads(raw, max_age=int(current_app.config["LOGIN_DEVICE_DAYS"]) * 86400)
    except BadSignature:
        return None, []
    if not isinstance(data, dict) or not isinstance(data.get("d"), str) or not isinstance(data.get("n"), list):
        return None, []
    return data["d"], [n for n in data["n"] if isinstance(n, str)]


def _device_for(name: str) -> Optional[str]:
    """This browser's device id when `name` signed in from it recently, else None."""
    device, names = _device()
    return device if device and name in names else None


def remember_device(response: Response, username: str) -> Response:
    """Mark this browser as one `username` signed in from (the newest few names are kept)."""
    name = account_key(username)
    device, names = _device()
    names = [name] + [n for n in names if n != name][:_MAX_DEVICE_NAMES - 1]
    days = int(current_app.config["LOGIN_DEVICE_DAYS"])
    value = _serializer().dumps({"d": device or secrets.token_urlsafe(12), "n": names})
    response.set_cookie(DEVICE_COOKIE, value, max_age=days * 86400, httponly=True,
                        samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
                        path=url_for("auth.login"))
    return response
