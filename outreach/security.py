"""Access control, declared on every view: deny by default, roles, kecamatan/kabupaten scoping."""
from __future__ import annotations

from functools import wraps
from typing import Optional

import sqlalchemy as sa
from flask import abort, current_app, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from outreach.extensions import csrf, db
from outreach.models import ApiToken, User
from outreach.vocab import ROLES
from outreach.models.accounts import hash_token
from outreach.models.base import utcnow
from outreach import permissions
from outreach.permissions import in_scope

PUBLIC = frozenset({"public"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def roles_required(*roles: str):
    """Allow only signed-in users whose role is in `roles`; marks the view as access-controlled."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {unknown}")
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                if is_api_request():
                    return sign_in_needed()
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not permissions.admitted(current_user, allowed):
                abort(403)
            return view(*args, **kwargs)

        wrapper.access_roles = allowed
        return wrapper

    return decorator


def national_admin_required(view):
    """Admins without a scope only: the installation's shared data (imports, jobs).
    A scoped admin gets 403 (see outreach.permissions, administration)."""
    @wraps(view)
    def check(*args, **kwargs):
        if not permissions.is_national_admin(current_user):
            abort(403)
        return view(*args, **kwargs)

    return roles_required(*permissions.ADMINS)(check)


def any_role(view):
    """Any signed-in user (what they then see is still scoped)."""
    return roles_required(*ROLES)(view)


def public(view):
    """Reachable without signing in (login page, health check, assets)."""
    view.access_roles = PUBLIC
    return view


def csrf_exempt(view):
    """No CSRF check for a public JSON-only endpoint (the visit-request API): its body must be
    application/json (outreach.api.errors.json_object), which a page of another site cannot send without a
    CORS preflight this app never grants, and there is no login a forged request could ride on."""
    view.csrf_exempt = True
    return view


def sign_in_needed():
    """401 of the API to a caller without a login, with where to sign in (the field client links to it)."""
    return json_error(401, _("Perlu masuk (login) atau token API."), login_url=url_for("auth.login"))


def json_error(status: int, message: str, **extra):
    body = {"error": status, "message": message}
    body.update(extra)
    return jsonify(body), status


def _bearer_token() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def user_from_token(raw: str) -> Optional[User]:
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or not token.is_valid() or not token.user.is_active:
        return None
    token.last_used_at = utcnow()
    db.session.commit()
    return token.user


def guard_request():
    """before_request: every endpoint must declare its access; CSRF unless bearer-authenticated."""
    if request.endpoint is None:
        return None  # routing will answer 404/405
    view = current_app.view_functions.get(request.endpoint)
    if request.endpoint == "static" or request.endpoint.startswith("vendor."):
        return None
    if getattr(view, "access_roles", None) is None:
        current_app.logger.error("endpoint %s declares no access control; refusing", request.endpoint)
        abort(403)
    raw = _bearer_token()
    if raw is not None:
        if not is_api_request():
            abort(403)
        user = user_from_token(raw)
        if user is None:
            return json_error(401, _("Token API tidak sah, kedaluwarsa, atau dicabut."))
        login_user(user, remember=False)
        g.token_auth = True
        return None
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True) \
            and not getattr(view, "csrf_exempt", False):
        if is_api_request() and view.access_roles != PUBLIC and not current_user.is_authenticated:
            # A log queued on a phone whose sign-in ended: "sign in again" tells the officer what to do,
            # the CSRF answer (its token went with the old sign-in) would not.
            return sign_in_needed()
        csrf.protect()
    return None


# ---------------------------------------------------------------- scoping (the rules: outreach.permissions)

def get_scoped_or_404(model, ident, user=None, kode_attr: str = "kode"):
    """Load one object the user may see, else 404 (never reveal that it exists elsewhere)."""
    user = user or current_user
    obj = db.session.get(model, ident)
    if obj is None or not in_scope(user, getattr(obj, kode_attr)):
        abort(404)
    return obj
