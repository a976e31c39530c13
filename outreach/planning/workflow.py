"""Status workflow of a recording session: plain Python, no Flask, no database.

    rencana ──► terkonfirmasi ──► selesai          (selesai: only from the turnout log)
       │  ╲          │
       │   ╲         ├──► dibatalkan               (reason required; final)
       │    ╲        │
       ├─────┴───────┴──► ditunda ──► terkonfirmasi / ditunda / dibatalkan

Postponing (ditunda) needs a new date. The session moves to the new date at once and keeps
holding its team and kits there; its status stays "ditunda" until the new date is confirmed with
the contact at the site (→ terkonfirmasi), postponed again or cancelled. The old date is kept in
the postponement history (SessionPostponement) and the audit trail.
"""
from __future__ import annotations

from datetime import date
from typing import Callable, Optional

from outreach.i18n import plain_gettext as _plain

RENCANA = "rencana"
TERKONFIRMASI = "terkonfirmasi"
SELESAI = "selesai"
DIBATALKAN = "dibatalkan"
DITUNDA = "ditunda"

TRANSITIONS: dict[str, frozenset] = {
    RENCANA: frozenset({TERKONFIRMASI, DIBATALKAN, DITUNDA}),
    TERKONFIRMASI: frozenset({SELESAI, DIBATALKAN, DITUNDA}),
    DITUNDA: frozenset({TERKONFIRMASI, DIBATALKAN, DITUNDA}),
    SELESAI: frozenset(),
    DIBATALKAN: frozenset(),
}
# Statuses a user may set by hand (selesai is set by the turnout log).
MANUAL_TARGETS = frozenset({TERKONFIRMASI, DIBATALKAN, DITUNDA})
# A turnout log finishes a session from any open status: a team that went without a confirmation
# (rencana) or on the new date of a postponed session (ditunda) still recorded people, and refusing
# their log would lose those figures. The planner's own path (by_log=False) stays terkonfirmasi → selesai.
LOGGABLE = frozenset({RENCANA, TERKONFIRMASI, DITUNDA})
# Statuses whose schedule (date, time) may still be edited directly; a confirmed session is moved
# by postponing it, so the history keeps the date that was agreed.
RESCHEDULABLE = frozenset({RENCANA, DITUNDA})
EDITABLE = frozenset({RENCANA, TERKONFIRMASI, DITUNDA})


def allowed_targets(current: str, *, manual: bool = True) -> list[str]:
    """Statuses reachable from `current` (by hand when `manual`), in workflow order."""
    order = (RENCANA, TERKONFIRMASI, SELESAI, DITUNDA, DIBATALKAN)
    targets = TRANSITIONS.get(current, frozenset())
    if manual:
        targets = targets & MANUAL_TARGETS
    return [s for s in order if s in targets]


def check_transition(current: str, target: str, *, manual: bool = True, by_log: bool = False, reason: str = "",
                     new_date: Optional[date] = None, confirmed_with: str = "", today: Optional[date] = None,
                     labels: Optional[dict] = None, _: Callable[..., str] = _plain) -> dict[str, str]:
    """{field: message} explaining why `current` → `target` is refused; empty when it is allowed.

    `by_log`: the turnout log finishes the session (selesai from any status in LOGGABLE)."""
    labels = labels or {}
    name = lambda s: labels.get(s, s)  # noqa: E731
    if target not in TRANSITIONS:
        return {"status": _("Status \"%(status)s\" tidak dikenal.", status=target)}
    if target == SELESAI and by_log:
        if current in LOGGABLE:
            return {}
        return {"status": _("Sesi berstatus %(current)s tidak dapat diberi laporan hasil.", current=name(current))}
    if target == SELESAI and manual:
        return {"status": _("Status selesai diisi otomatis saat tim mengirim laporan hasil sesi.")}
    if target not in TRANSITIONS.get(current, frozenset()):
        if not TRANSITIONS.get(current):
            return {"status": _("Sesi berstatus %(current)s tidak dapat diubah lagi.", current=name(current))}
        return {"status": _("Status tidak dapat diubah dari %(current)s menjadi %(target)s.",
                            current=name(current), target=name(target))}
    errors = {}
    if target == DIBATALKAN and not (reason or "").strip():
        errors["reason"] = _("Alasan pembatalan wajib diisi.")
    if target == TERKONFIRMASI and not (confirmed_with or "").strip():
        errors["confirmed_with"] = _("Isi nama kontak di lokasi yang mengonfirmasi jadwal ini.")
    if target == DITUNDA:
        if new_date is None:
            errors["new_date"] = _("Tanggal baru wajib diisi untuk menunda sesi.")
        elif today is not None and new_date < today:
            errors["new_date"] = _("Tanggal baru tidak boleh di masa lalu.")
    return errors
