from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from outreach.auth import bp
from outreach.auth.forms import EmptyForm, LoginForm
from outreach.auth.lockout import after_failure, is_locked
from outreach.auth.production import password_accepted
from outreach.extensions import db
from outreach.models import User
from outreach.models.base import utcnow
from outreach.security import any_role, public


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.username == form.username.data.strip()))
        now = utcnow()
        if user is not None and is_locked(user.locked_until, now):
            flash(_("Terlalu banyak percobaan gagal. Akun dikunci sementara; coba lagi nanti."), "danger")
            return render_template("auth/login.html", form=form), 429
        if user is None or not password_accepted(user, form.password.data) or not user.is_active:
            if user is not None:
                cfg = current_app.config
                user.failed_logins, user.locked_until = after_failure(
                    user.failed_logins or 0, now, cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCK_MINUTES"])
                db.session.commit()
            flash(_("Nama pengguna atau kata sandi salah."), "danger")
            return render_template("auth/login.html", form=form), 200
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        db.session.commit()
        session.clear()
        login_user(user, remember=form.remember.data)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


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
