"""Error pages in Bahasa Indonesia; JSON bodies under /api/."""
from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from outreach.security import is_api_request, json_error


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
    }


def register(app):
    @app.errorhandler(CSRFError)
    def csrf_error(e):
        message = _("Formulir kedaluwarsa atau token keamanan (CSRF) tidak valid. Muat ulang halaman lalu coba lagi.")
        if is_api_request():
            return json_error(400, message)
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(e):
        code = e.code or 500
        message = _messages().get(code, e.description)
        if is_api_request():
            return json_error(code, message)
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(Exception)
    def server_error(e):
        app.logger.exception("unhandled error")
        from outreach.extensions import db
        db.session.rollback()
        message = _messages()[500]
        if is_api_request():
            return json_error(500, message)
        return render_template("error.html", code=500, message=message), 500
