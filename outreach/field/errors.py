"""Errors of the field operations: each carries an Indonesian message and the HTTP status the API answers.

    LogValidationFailed(errors={field: message})  422   (also: cancelled session, session not started yet)
    IdempotencyKeyReused                           422   (same key, different body: nothing stored)
    BadIdempotencyKey                              400
    SessionNotFound / LogNotFound                  404
    NotAllowed                                     403
    LogExists(log) / StaleLog(log)                 409   (carry the current log)
"""
from __future__ import annotations

from outreach.i18n import gettext_here as _


class FieldError(Exception):
    status = 400
    reason = "bad_request"

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class LogValidationFailed(FieldError):
    """Bad log values or a session that cannot take a log now: {field: message}."""
    status = 422
    reason = "invalid"

    def __init__(self, errors: dict[str, str], message: str = ""):
        super().__init__(message or _("Laporan hasil tidak valid. Periksa isian yang ditandai."))
        self.errors = errors


class IdempotencyKeyReused(FieldError):
    status = 422
    reason = "idempotency_key_reused"

    def __init__(self):
        super().__init__(_("Kunci Idempotency-Key ini sudah dipakai untuk laporan dengan isi lain; laporan tidak "
                           "disimpan. Kirim laporan baru dengan kunci baru."))
        self.errors = {"Idempotency-Key": self.message}


class BadIdempotencyKey(FieldError):
    status = 400
    reason = "idempotency_key_missing"

    def __init__(self):
        super().__init__(_("Header Idempotency-Key wajib diisi: 1–100 karakter huruf, angka, titik, garis bawah, "
                           "titik dua atau tanda hubung (mis. UUID buatan ponsel)."))


class SessionNotFound(FieldError):
    status = 404
    reason = "not_found"

    def __init__(self):
        super().__init__(_("Sesi tidak ditemukan."))


class LogNotFound(FieldError):
    status = 404
    reason = "no_log"

    def __init__(self):
        super().__init__(_("Sesi ini belum memiliki laporan hasil. Kirim laporan dengan POST."))


class NotAllowed(FieldError):
    status = 403
    reason = "forbidden"

    def __init__(self, message: str = ""):
        super().__init__(message or _("Anda tidak berwenang mengisi laporan hasil sesi ini."))


class LogExists(FieldError):
    """The session already has a log (sent with another key): correct it with PATCH and its version."""
    status = 409
    reason = "log_exists"

    def __init__(self, log):
        super().__init__(_("Sesi ini sudah memiliki laporan hasil (versi %(version)s). Untuk mengubahnya, kirim "
                           "koreksi (PATCH) dengan versi tersebut.", version=log.version))
        self.log = log


class StaleLog(FieldError):
    """Someone else saved the log first: the client shows the current values, never overwrites them."""
    status = 409
    reason = "stale_version"

    def __init__(self, log):
        super().__init__(_("Laporan ini sudah diubah dari perangkat lain (sekarang versi %(version)s). Periksa "
                           "angka yang tersimpan di bawah, lalu kirim koreksi dengan versi terbaru bila perlu.",
                           version=log.version))
        self.log = log
