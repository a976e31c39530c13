"""Errors of planning: each carries an Indonesian message and the HTTP status the API answers with.

    ValidationFailed(errors={field: message})   -> 422
    ConflictsFound(conflicts=[Conflict, ...])   -> 409 (errors, or warnings without override_reason)
    StaleSession                                 -> 409 (someone else changed the session first)
    NotAllowed                                   -> 403,  NotFound -> 404
    Invisible                                    a page asked for a kecamatan or team out of view (404)
"""
from __future__ import annotations

from typing import Optional

from outreach.i18n import gettext_here as _
from outreach.planning.conflicts import Conflict, Verdict


class PlanningError(Exception):
    status = 400

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class ValidationFailed(PlanningError):
    """Bad input: {field: message}."""
    status = 422

    def __init__(self, errors: dict[str, str], values: Optional[dict] = None):
        super().__init__(_("Data sesi tidak valid. Periksa isian yang ditandai."))
        self.errors = errors
        self.values = values or {}  # what did parse, so the other checks can still run on it


class ConflictsFound(PlanningError):
    """The session clashes with other sessions or the calendar."""
    status = 409

    def __init__(self, conflicts: list[Conflict]):
        verdict = Verdict(list(conflicts))
        if verdict.errors:
            message = _("Jadwal bentrok dengan sesi lain dan tidak dapat disimpan.")
        else:
            message = _("Ada peringatan jadwal. Untuk tetap menyimpan, isi alasan pengecualian (override_reason).")
        super().__init__(message)
        self.conflicts = verdict.conflicts
        self.overridable = not verdict.errors


class StaleSession(PlanningError):
    status = 409

    def __init__(self):
        super().__init__(_("Sesi ini baru saja diubah oleh pengguna lain. Muat ulang lalu ulangi perubahan Anda."))


class NotAllowed(PlanningError):
    status = 403

    def __init__(self, message: str = ""):
        super().__init__(message or _("Anda tidak berwenang mengubah sesi ini."))


class NotFound(PlanningError):
    status = 404

    def __init__(self):
        super().__init__(_("Sesi tidak ditemukan."))


class Invisible(Exception):
    """A kecamatan or team the user may not see was asked for (answered 404)."""
