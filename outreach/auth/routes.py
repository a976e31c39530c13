from types import SimpleNamespace
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_user, logout_user

from outreach import permissions, ratelimits
from outreach.auth import bp, throttle
from outreach.auth.forms import EmptyForm, LoginForm, PasswordChangeForm
from outreach.auth.operations import PasswordNotChanged, change_own_password
from outreach.auth.production import password_accepted
from outreach.extensions import db
from outreach.field.views import schedule_page
from outreach.models import User
from outreach.models.base import utcnow
from outreach.security import PUBLIC, any_role, is_api_request, json_error, public


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@public
@ratelimits.limiter.limit(ratelimits.login_limit, methods=["POST"], exempt_when=throttle.own_device_login)
def login():
    """Sign in. Throttled per address, per (name, address) and per name from unknown browsers, never by
    locking the account (outreach.auth.throttle); an unknown name and a wrong password look the same."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        wait = throttle.check_attempt(username)
        if wait is not None:
            return _login_refused(form, wait)
        user = db.session.scalar(sa.select(User).where(User.username == username))
        valid = password_accepted(user, form.password.data) if user is not None \
            else User.dummy_password_check(form.password.data)
        if not valid or not user.is_active:
            flash(_("Nama pengguna atau kata sandi salah."), "danger")
            return render_template("auth/login.html", form=form), 200
        throttle.succeeded(username)
        user.last_login_at = utcnow()
        db.session.commit()
        session.clear()
        login_user(user, remember=form.remember.data)
        target = url_for("auth.change_password") if user.must_change_password \
            else _safe_next(request.args.get("next"))
        if request.form.get("land") == "inline" and target == url_for("main.home") and permissions.is_field(user):
            # The login page asks for it: a field team's phone may be on a weak signal, so its home page
            # (the schedule) is the login's own answer rather than a redirect to it, one round trip less;
            # the page takes its own address (field.js). Other clients get the redirect.
            g.page_as = SimpleNamespace(path=target, full_path=f"{target}?", endpoint="main.home")
            # The login form's token was memoised for this request from the session just cleared: the
            # page's forms need one of the new session.
            g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
            return throttle.remember_device(make_response(schedule_page(home=True)), username)
        return throttle.remember_device(redirect(target), username)
    return render_template("auth/login.html", form=form)


def _login_refused(form, seconds):
    flash(_("Terlalu banyak percobaan masuk. Tunggu %(n)s menit lalu coba lagi.", n=max((seconds + 59) // 60, 1)),
          "danger")
    response = current_app.make_response((render_template("auth/login.html", form=form), 429))
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.errorhandler(RateLimitExceeded)
def login_rate_limited(e):
    """Too many logins from this address (Flask-Limiter adds Retry-After)."""
    flash(_("Terlalu banyak percobaan masuk dari alamat ini. Tunggu sebentar lalu coba lagi."), "danger")
    return render_template("auth/login.html", form=LoginForm()), 429


@bp.route("/kata-sandi", methods=["GET", "POST"])
@any_role
def change_password():
    """The user's own password: current one, new one twice. Also where a forced change leads."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_own_password(current_user, form.current_password.data, form.password.data,
                                form.password_confirm.data)
        except PasswordNotChanged as exc:
            for name, messages in exc.errors.items():
                form[name].errors = list(form[name].errors) + [_(msgid, **params) for msgid, params in messages]
            return render_template("auth/change_password.html", form=form), 422
        # Every other login ended with the new session version; this one goes on with it.
        remembered = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        login_user(current_user._get_current_object(), remember=bool(remembered))
        flash(_("Kata sandi telah diganti. Login di perangkat lain berakhir."), "success")
        return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)


# Reachable while a password change is pending (besides public pages).
_WHILE_CHANGE_PENDING = frozenset({"auth.change_password", "auth.logout", "auth.logout_everywhere"})


@bp.before_app_request
def require_password_change():
    """After an admin reset, every page leads to "Ganti kata sandi" (the API, signed in by session: 403)."""
    if request.endpoint is None or request.endpoint in _WHILE_CHANGE_PENDING or request.endpoint == "static" \
            or request.endpoint.startswith("vendor."):
        return None
    if request.headers.get("Authorization", "")[:7].lower() == "bearer ":
        return None  # tokens are issued by an admin after the reset (a reset revokes the old ones)
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "access_roles", None) == PUBLIC:
        return None
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    message = _("Ganti kata sandi Anda dulu: kata sandi ini diatur oleh admin.")
    if is_api_request():
        return json_error(403, message, password_change_required=True)
    flash(message, "warning")
    return redirect(url_for("auth.change_password"))


@bp.route("/logout", methods=["POST"])
@any_role
def logout():
    logout_user()
    session.clear()
    flash(_("Anda telah keluar."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/keluar-semua", methods=["POST"])
@any_role
def logout_everywhere():
    """End every login of the signed-in user, on every device (a lost phone, a shared computer)."""
    current_user.end_logins()
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Anda telah keluar dari semua perangkat. Masuk lagi di perangkat ini bila perlu."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/bahasa/<code>", methods=["POST"])
@public
def set_language(code):
    form = EmptyForm()
    if code in current_app.config["LANGUAGES"] and form.validate_on_submit():
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
