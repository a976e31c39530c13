"""Accepting a home visit of a proposal: check its request is still waiting, create the session, link them.

The request moves to "dijadwalkan" with the session's id, `status_changed_at` and an audit entry, only if it
is still "diverifikasi" without a session (a conditional update: a request rejected or scheduled elsewhere
meanwhile is refused with a message, and a session made for it in that instant is cancelled again). Chained
houses of one round are short and close together: the conflict rules' warnings for that alone (a session
shorter than SESSION_MIN_HOURS, less than TRAVEL_BUFFER_MINUTES to the previous house of the same accept)
are overridden with a stated reason; any other conflict refuses the visit as it would a hand-made session.
(The queue of outreach.requests may later own the status change; this is the planner's side of it.)
"""
from __future__ import annotations

from typing import Iterable, Optional

import sqlalchemy as sa

from outreach import clock
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models.audit import record_change
from outreach.models.requests import VisitRequest
from outreach.planning import operations as planning_operations
from outreach.planning.conflicts import KIT_TRAVEL, SESSION_TOO_SHORT, TEAM_TRAVEL
from outreach.planning.errors import ConflictsFound
from outreach.vocab import labels_of

TARGET_GROUP = "lansia_disabilitas"
AUDIT_ENTITY = "visit_request"
WAITING, SCHEDULED = "diverifikasi", "dijadwalkan"


def _state_refusal(req: Optional[VisitRequest], code: str) -> Optional[str]:
    """Why the request can no longer be scheduled (None: it still waits for a session)."""
    if req is None:
        return _("Permohonan %(code)s tidak ditemukan lagi; kunjungan rumah ini tidak dijadwalkan.", code=code)
    if req.session_id is not None:
        return _("Permohonan %(code)s sudah dijadwalkan di sesi #%(id)s; kunjungan rumah ini tidak dijadwalkan "
                 "lagi.", code=req.code, id=req.session_id)
    if req.status == "ditolak":
        return _("Permohonan %(code)s sudah ditolak; kunjungan rumah ini tidak dijadwalkan.", code=req.code)
    if req.status != WAITING:
        return _("Permohonan %(code)s berstatus %(status)s, bukan diverifikasi; kunjungan rumah ini tidak "
                 "dijadwalkan.", code=req.code, status=labels_of("request_status").get(req.status, req.status))
    return None


def _fresh(request_id) -> Optional[VisitRequest]:
    if isinstance(request_id, bool) or not isinstance(request_id, int):
        return None
    return db.session.get(VisitRequest, request_id, populate_existing=True)


def refusal(request_id, item: dict) -> Optional[str]:
    """Why a proposal's home visit cannot be accepted now (None: it can)."""
    code = str(item.get("request_code") or request_id)
    req = _fresh(request_id)
    message = _state_refusal(req, code)
    if message is None and req.site_id != item.get("site_id"):
        message = _("Lokasi kunjungan rumah permohonan %(code)s sudah berubah sejak usulan dibuat; susun usulan "
                    "baru.", code=req.code)
    return message


def _chain_only(conflicts, created_ids: Iterable[int]) -> bool:
    """Only the warnings a round of houses gives by itself: short visits, little time to the house before."""
    created = set(created_ids)
    return bool(conflicts) and all(
        c.overridable and (c.kind == SESSION_TOO_SHORT or (c.kind in (TEAM_TRAVEL, KIT_TRAVEL)
                                                          and c.session_id in created))
        for c in conflicts)


def create_visit_session(user, data: dict, proposal_id: int, created_ids: Iterable[int]):
    """The session of one house (outreach.planning.operations.create_session), the round's own warnings
    overridden with a stated reason; other conflicts raise as for any session."""
    try:
        return planning_operations.create_session(user, data)
    except ConflictsFound as exc:
        if data.get("override_reason") or not _chain_only(exc.conflicts, created_ids):
            raise
    db.session.rollback()
    reason = _("Kunjungan rumah berurutan dari usulan jadwal #%(id)s: lama kunjungan dan jeda perjalanan antar "
               "rumah dihitung oleh perencana.", id=proposal_id)
    return planning_operations.create_session(user, {**data, "override_reason": reason})


def link(user, request_id: int, session, proposal_id: int) -> Optional[str]:
    """Mark the request scheduled in `session` (audited, committed); when it was rejected or scheduled in the
    meantime, cancel `session` again and return why (None: linked)."""
    now = clock.utcnow()
    done = db.session.execute(
        sa.update(VisitRequest)
        .where(VisitRequest.id == request_id, VisitRequest.status == WAITING, VisitRequest.session_id.is_(None))
        .values(session_id=session.id, status=SCHEDULED, status_changed_at=now, updated_at=now,
                version=VisitRequest.version + 1)
        .execution_options(synchronize_session=False))
    if done.rowcount == 1:
        record_change(AUDIT_ENTITY, request_id, "status", user.id,
                      {"status": [WAITING, SCHEDULED], "session_id": [None, session.id]},
                      reason=_("Dari usulan jadwal #%(id)s.", id=proposal_id))
        db.session.commit()
        return None
    db.session.rollback()
    message = _state_refusal(_fresh(request_id), str(request_id)) or _(
        "Permohonan %(code)s tidak lagi menunggu jadwal.", code=request_id)
    planning_operations.cancel_session(user, session, message[:200])
    return message
