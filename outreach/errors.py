"""Error pages in Bahasa Indonesia; JSON bodies under /api/.

A server error is answered without the database (it may be why the request failed): no signed-in user, no
menu, the plain error page. An unreachable database is a 503 with Retry-After, so clients try again later.
"""
import sqlalchemy.exc as sa_exc
from flask import current_app, make_response, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from outreach.security import is_api_request, json_error

# Seconds a client is asked to wait while the database is unreachable.
DATABASE_RETRY_AFTER = 30


def _messages():
    return {
        400: _("Permintaan tidak valid."),
        401: _("Perlu masuk (login)."),
        403: _("Anda tidak berwenang membuka halaman ini."),
        404: _("Halaman atau data tidak ditemukan."),
        405: _("Metode tidak diizinkan untuk alamat ini."),
        409: _("Terjadi konflik dengan data yang sudah ada."),
        413: _("Berkas atau isi permintaan terlalu besar."),
        422: _("Data tidak dapat diproses."),
        429: _("Terlalu banyak permintaan. Coba lagi nanti."),
        500: _("Terjadi kesalahan pada server. Data yang sudah tersimpan tetap aman."),
        503: _("Basis data sedang tidak dapat dihubungi. Data yang sudah tersimpan tetap aman; coba lagi "
               "beberapa saat lagi."),
    }


def database_unreachable(e: BaseException) -> bool:
    """True for the errors of a database that is down or restarting (not for a bad query)."""
    if isinstance(e, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    return isinstance(e, sa_exc.DBAPIError) and bool(e.connection_invalidated)


def _rollback_quietly() -> None:
    from outreach.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing to roll back
        pass


def plain_page(code: int, message: str):
    """The error page without the database (no user, no menu). Rendered without the context processors:
    Flask-Login's would load the signed-in user."""
    html = current_app.jinja_env.get_template("error_plain.html").render(
        code=code, message=message, current_locale=str(get_locale() or "id"))
    return html, code


def page(code: int, message: str):
    """The error page in the site's layout; the plain one when the layout itself fails (database down)."""
    try:
        return render_template("error.html", code=code, message=message), code
    except Exception:
        _rollback_quietly()
        return plain_page(code, message)


def register(app):
    @app.errorhandler(CSRFError)
    def csrf_error(e):
        message = _("Formulir kedaluwarsa atau token keamanan (CSRF) tidak valid. Muat ulang halaman lalu coba lagi.")
        if is_api_request():
            # errors.csrf_token tells the offline field queue to fetch a fresh token and send again.
            return json_error(400, message, errors={"csrf_token": message})
        return page(400, message)

    @app.errorhandler(HTTPException)
    def http_error(e):
        code = e.code or 500
        message = _messages().get(code, e.description)
        if is_api_request():
            return json_error(code, message)
        if code >= 500:
            return plain_page(code, message)
        return page(code, message)

    @app.errorhandler(Exception)
    def server_error(e):
        _rollback_quietly()
        if database_unreachable(e):
            app.logger.error("database unreachable: %s", e.__class__.__name__)
            message = _messages()[503]
            response = make_response(json_error(503, message) if is_api_request() else plain_page(503, message))
            response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
            return response
        app.logger.exception("unhandled error")
        message = _messages()[500]
        if is_api_request():
            return json_error(500, message)
        return plain_page(500, message)
