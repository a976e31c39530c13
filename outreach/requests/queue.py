"""The coordinator's queue of visit requests: its rules (which move is allowed, with which message), its reads
(the scoped list, the sessions a request may be linked to, the waiting counts) and its writes (a status change
with its audit entry, the `rumah` site a verified home visit becomes, the "lihat" audit of personal data, the
notification to the kecamatan's coordinators when a request arrives).

The rules at the top are plain functions of values (no database, no Flask); the rest runs in an app context.
The views (outreach.requests.queue_views, outreach.api.requests) only check access and call these. Longer than
400 lines would be a reason to split reads from writes; it is not there yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from outreach import clock
from outreach.extensions import db
from outreach.models import AuditEntry, RecordingSession, Region, Site, User, VisitRequest
from outreach.models.audit import record_change
from outreach.models.planning import OPEN_STATUSES
from outreach.models.regions import ancestors_of
from outreach.models.requests import REQUEST_REASON_MAX
from outreach.permissions import (COORDINATOR, can_handle_request, can_see_session, requests_clause,
                                  sessions_clause)
from outreach.phones import readable as readable_phone
from outreach.i18n import gettext_here as _
from outreach.vocab import HOME_VISIT_KINDS, REQUEST_STATUSES, REQUEST_WAITING_STATUSES

# Where a request may go from each status (a linked request may be linked again to another session).
TRANSITIONS = {
    "baru": ("diverifikasi", "ditolak"),
    "diverifikasi": ("dijadwalkan", "ditolak"),
    "dijadwalkan": ("dijadwalkan", "selesai", "ditolak"),
    "selesai": (),
    "ditolak": (),
}
CLOSING = ("selesai", "ditolak")
# The order of the queue: waiting requests first, then the scheduled ones, then the closed ones.
QUEUE_RANK = {"baru": 0, "diverifikasi": 0, "dijadwalkan": 1, "selesai": 2, "ditolak": 2}


class QueueError(Exception):
    """A refused move: an Indonesian message, {field: message} and the HTTP status the pages and API answer."""
    status = 422

    def __init__(self, message: str, errors: Optional[dict] = None, status: Optional[int] = None):
        super().__init__(message)
        self.message, self.errors = message, errors or {}
        if status is not None:
            self.status = status


class StaleRequest(QueueError):
    status = 409

    def __init__(self):
        super().__init__(_("Permohonan ini baru saja diubah oleh pengguna lain. Muat ulang halaman lalu ulangi "
                           "perubahan Anda."))


# ---------------------------------------------------------------- rules (plain values)

def allowed_targets(status: str) -> tuple:
    """The statuses a request of `status` may move to."""
    return TRANSITIONS.get(status, ())


def transition_errors(current: str, target: str, reason: str = "", session_id=None) -> dict:
    """{field: message} of what is wrong with moving a request from `current` to `target` (empty: allowed)."""
    labels = _status_labels()
    if target not in REQUEST_STATUSES:
        return {"status": _("Status tidak dikenal: '%(status)s'. Pilihan: %(choices)s.",
                            status=str(target)[:30], choices=", ".join(REQUEST_STATUSES))}
    if target not in allowed_targets(current):
        if current in CLOSING:
            message = _("Permohonan ini sudah %(status)s dan tidak dapat diubah lagi.", status=labels[current].lower())
        elif target == "dijadwalkan":
            message = _("Verifikasi permohonan dulu sebelum menautkannya ke sesi.")
        elif target == "selesai":
            message = _("Permohonan baru dapat ditandai selesai setelah dijadwalkan dalam sebuah sesi.")
        else:
            message = _("Permohonan berstatus %(current)s tidak dapat diubah menjadi %(target)s.",
                        current=labels[current].lower(), target=labels[target].lower())
        return {"status": message}
    if target == "ditolak" and not (reason or "").strip():
        return {"reason": _("Tuliskan alasan penolakan; pemohon akan melihatnya.")}
    if target == "dijadwalkan" and not session_id:
        return {"session_id": _("Pilih sesi untuk permohonan ini.")}
    return {}


def age_days(created_at: datetime, now: datetime, tz: tzinfo) -> int:
    """Whole days since the request arrived, counted in the offices' calendar (0 on the day it came)."""
    created = created_at if created_at.tzinfo else created_at.replace(tzinfo=timezone.utc)
    return max((now.astimezone(tz).date() - created.astimezone(tz).date()).days, 0)


def age_label(days: int) -> str:
    """"hari ini", "1 hari", "3 hari"."""
    if days <= 0:
        return _("hari ini")
    return _("%(n)s hari", n=days)


def home_site_name(rt: Optional[int], rw: Optional[int]) -> str:
    """The `rumah` site's name: the RT/RW only, never the person's name."""
    if rt and rw:
        return _("Rumah warga RT %(rt)02d/RW %(rw)02d", rt=rt, rw=rw)
    if rt:
        return _("Rumah warga RT %(rt)02d", rt=rt)
    if rw:
        return _("Rumah warga RW %(rw)02d", rw=rw)
    return _("Rumah warga")


def _status_labels() -> dict:
    from outreach.vocab import labels_of

    return labels_of("request_status", _)


# ---------------------------------------------------------------- reads

@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    kind: str = ""
    desa: str = ""
    area: str = ""  # a kabupaten or kecamatan chosen in the stepwise area picker (no desa chosen under it)


def visible_request(user, request_id: int):
    """The request if `user` may see it (outreach.permissions.requests_clause), else None."""
    return db.session.scalar(sa.select(VisitRequest).where(VisitRequest.id == request_id,
                                                              requests_clause(user)))


def queue_statement(user, filters: QueueFilters):
    """The scoped, filtered queue: waiting requests first, oldest first."""
    stmt = sa.select(VisitRequest).options(joinedload(VisitRequest.desa)).where(requests_clause(user))
    if filters.status:
        stmt = stmt.where(VisitRequest.status == filters.status)
    if filters.kind:
        stmt = stmt.where(VisitRequest.kind == filters.kind)
    if filters.desa:
        stmt = stmt.where(VisitRequest.desa_kode == filters.desa)
    elif filters.area:
        column = {1: VisitRequest.kabupaten_kode, 2: VisitRequest.kecamatan_kode}.get(filters.area.count("."))
        stmt = stmt.where(column == filters.area) if column is not None else stmt
    rank = sa.case({k: v for k, v in QUEUE_RANK.items()}, value=VisitRequest.status, else_=3)
    return stmt.order_by(rank, VisitRequest.created_at, VisitRequest.id)


def queue_page(user, filters: QueueFilters, page: int, per_page: int):
    return db.paginate(queue_statement(user, filters), page=page, per_page=per_page, error_out=False)


def request_desa(user) -> list[tuple[str, str]]:
    """(kode, name) of the desa that have requests the user sees: the list's desa filter."""
    return [(k, f"{n} ({k})") for k, n in db.session.execute(
        sa.select(Region.kode, Region.nama).where(Region.kode.in_(
            sa.select(VisitRequest.desa_kode).where(requests_clause(user)).distinct()))
        .order_by(Region.nama, Region.kode)).all()]


def linkable_sessions(user, req, today: Optional[date] = None) -> list:
    """Open sessions of the request's kecamatan from today on (the "link to a session" select)."""
    today = today or clock.local_today()
    return list(db.session.scalars(
        sa.select(RecordingSession).options(joinedload(RecordingSession.site))
        .where(RecordingSession.kecamatan_kode == req.kecamatan_kode, RecordingSession.status.in_(OPEN_STATUSES),
               sa.func.coalesce(RecordingSession.end_date, RecordingSession.date) >= today, sessions_clause(user))
        .order_by(RecordingSession.date, RecordingSession.start_time, RecordingSession.id).limit(200)))


def waiting_counts(user, level: str = "kecamatan") -> dict[str, int]:
    """{region kode: waiting requests} of the user's area, grouped by kecamatan or desa (one query)."""
    column = VisitRequest.desa_kode if level == "desa" else VisitRequest.kecamatan_kode
    return dict(db.session.execute(
        sa.select(column, sa.func.count()).where(requests_clause(user),
                                                 VisitRequest.status.in_(REQUEST_WAITING_STATUSES))
        .group_by(column)).all())


def waiting_total(user) -> int:

    return db.session.scalar(sa.select(sa.func.count()).select_from(VisitRequest).where(
        requests_clause(user), VisitRequest.status.in_(REQUEST_WAITING_STATUSES))) or 0


def request_history(req) -> list:

    return list(db.session.scalars(
        sa.select(AuditEntry).options(joinedload(AuditEntry.user))
        .where(AuditEntry.entity == "visit_request", AuditEntry.entity_id == str(req.id),
               AuditEntry.action != "lihat")
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())))


def age_of(req, now: Optional[datetime] = None) -> int:
    return age_days(req.created_at, now or clock.utcnow(), clock.local_tz())


# ---------------------------------------------------------------- writes

def record_views(user, requests) -> int:
    """An audit row "lihat" for each request whose personal data `user` is shown (UU 27/2022); commits."""
    shown = [r for r in requests if r.erased_at is None]
    for req in shown:
        record_change("visit_request", req.id, "lihat", getattr(user, "id", None), {})
    if shown:
        db.session.commit()
    return len(shown)


def change_status(user, req, target: str, reason: str = "", session_id=None, expected_version=None):
    """Move `req` to `target` (verify, schedule with a session, finish, reject with a reason); commits.

    Raises QueueError (422) for a refused move, StaleRequest (409) when someone else changed it first.
    """

    if not can_handle_request(user, req):
        raise QueueError(_("Anda hanya dapat membaca permohonan ini."), status=403)
    if expected_version not in (None, ""):
        try:
            expected = int(expected_version)
        except (TypeError, ValueError):
            raise QueueError(_("Versi harus berupa angka."), {"version": _("Versi harus berupa angka.")})
        if expected != req.version:
            raise StaleRequest()
    reason = (reason or "").strip()
    errors = transition_errors(req.status, target, reason, session_id)
    if errors:
        raise QueueError(next(iter(errors.values())), errors)

    if len(reason) > REQUEST_REASON_MAX:
        message = _("Alasan terlalu panjang (maksimal %(n)s karakter).", n=REQUEST_REASON_MAX)
        raise QueueError(message, {"reason": message})
    changes = {"status": [req.status, target]}
    if target == "dijadwalkan":
        session = _session_for(user, req, session_id)
        if req.session_id != session.id:
            changes["session_id"] = [req.session_id, session.id]
        elif req.status == "dijadwalkan":
            message = _("Permohonan ini sudah tertaut ke sesi tersebut.")
            raise QueueError(message, {"session_id": message})
        req.session_id = session.id
    if target == "diverifikasi" and req.kind in HOME_VISIT_KINDS and req.site_id is None:
        site = _make_home_site(user, req)
        req.site_id = site.id
        changes["site_id"] = [None, site.id]
    now = clock.utcnow()
    if target != req.status:
        req.status_changed_at = now
    req.status = target
    req.handled_by_id = getattr(user, "id", None)
    if target in CLOSING:
        req.closed_at = now
    if target == "ditolak":
        req.reason = reason
    record_change("visit_request", req.id, "status", req.handled_by_id, changes, reason)
    if req.site_id is not None and (target == "ditolak" or "site_id" in changes):
        # A home visit expects no more than its request's people (the ledger); a refused request no
        # longer limits a session at its site.
        from outreach.ledger.operations import reallocate

        reallocate(desa_kodes=[req.desa_kode])
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleRequest()
    return req


def _session_for(user, req, session_id):

    try:
        ident = int(session_id)
    except (TypeError, ValueError):
        ident = 0
    session = db.session.get(RecordingSession, ident) if 0 < ident < 2**31 else None
    if session is None or session.kecamatan_kode != req.kecamatan_kode or not can_see_session(user, session):
        message = _("Sesi #%(id)s tidak ditemukan di kecamatan permohonan ini.", id=str(session_id)[:12])
        raise QueueError(message, {"session_id": message})
    if session.status not in OPEN_STATUSES:
        message = _("Sesi #%(id)s sudah selesai atau dibatalkan; pilih sesi yang akan datang.", id=session.id)
        raise QueueError(message, {"session_id": message})
    if (session.end_date or session.date) < clock.local_today():
        message = _("Sesi #%(id)s sudah lewat; pilih sesi yang akan datang.", id=session.id)
        raise QueueError(message, {"session_id": message})
    return session


def _make_home_site(user, req):
    """The `rumah` site a verified home-visit request becomes (flushed, not committed)."""
    lat, lng, approximate = req.lat, req.lng, False
    if lat is None or lng is None:
        approximate = True
        lat, lng = None, None
        for kode in (req.desa_kode, req.kecamatan_kode, req.kabupaten_kode):
            row = db.session.execute(sa.select(Region.lat, Region.lng).where(Region.kode == kode)).first()
            if row and row.lat is not None and row.lng is not None:
                lat, lng = row.lat, row.lng
                break
    if lat is None or lng is None:
        message = _("Desa ini belum punya titik koordinat, jadi lokasi kunjungan rumah belum dapat dibuat. "
                    "Lengkapi titik desa lebih dulu.")
        raise QueueError(message, {"status": message})
    contact = req.requester_name + (f" ({req.relation})" if req.relation else "")
    site = Site(type="rumah", nama=home_site_name(req.rt, req.rw), desa_kode=req.desa_kode, lat=lat, lng=lng,
                coords_approximate=approximate, rt=req.rt, rw=req.rw, address=req.address,
                contact_name=contact[:120], contact_phone=readable_phone(req.phone)[:40],
                notes=_("Kunjungan rumah dari permohonan %(code)s: %(n)s orang.", code=req.code, n=req.people),
                **ancestors_of(req.desa_kode))
    db.session.add(site)
    db.session.flush()
    # The audit keeps what the site is, never the family's name, address or phone (they are erased later).
    record_change("site", site.id, "create", getattr(user, "id", None),
                  {"type": [None, "rumah"], "nama": [None, site.nama], "desa_kode": [None, site.desa_kode],
                   "lat": [None, lat], "lng": [None, lng], "coords_approximate": [None, approximate]},
                  _("Dari permohonan %(code)s", code=req.code))
    return site


# ---------------------------------------------------------------- notifications

def coordinators_of(kecamatan_kodes) -> dict[str, list[int]]:
    """{kecamatan kode: ids of the active coordinators whose area is that kecamatan}."""
    kodes = sorted(set(kecamatan_kodes))
    out: dict[str, list[int]] = {}
    if not kodes:
        return out
    for user_id, scope in db.session.execute(
            sa.select(User.id, User.scope_kode).where(User.role == COORDINATOR, User.active.is_(True),
                                                      User.scope_kode.in_(kodes)).order_by(User.id)):
        out.setdefault(scope, []).append(user_id)
    return out


def announce(req) -> int:
    """Tell the kecamatan's coordinators that a request arrived (in-app, once per request); commits.

    Called once after the request is saved. The notification names the kind and the desa, never the person.
    """
    from flask import current_app

    from outreach.jobs.notify import NewNotification, add_notifications, path_for
    from outreach.vocab import labels_of

    desa = db.session.get(Region, req.desa_kode)
    kind = labels_of("request_kind", _).get(req.kind, req.kind)
    title = _("Permohonan baru %(code)s: %(kind)s di %(desa)s", code=req.code, kind=kind,
              desa=desa.nama if desa else req.desa_kode)
    body = _("%(n)s orang. Periksa dan verifikasi permohonan ini di antrean permohonan.", n=req.people)
    link = path_for(current_app, ("request_queue.detail", {"request_id": req.id}))
    items = [NewNotification(user_id=uid, kind="info", title=title, body=body, link=link,
                             ref=f"request:{req.id}:baru")
             for uid in coordinators_of([req.kecamatan_kode]).get(req.kecamatan_kode, [])]
    created = add_notifications(items)
    db.session.commit()
    return created


def waiting_since(days: int, now: datetime) -> datetime:
    """The arrival instant before which a waiting request is overdue for a reminder."""
    return now - timedelta(days=days)


def follow_session(session, user=None) -> int:
    """The requests scheduled with `session` follow it (in the caller's transaction, no commit): a finished
    session closes them (selesai); a cancelled one sends them back to diverifikasi, unlinked, to be
    scheduled again. The requester's status page shows the change. Returns how many moved."""

    if session.status not in ("selesai", "dibatalkan") or session.id is None:
        return 0
    linked = db.session.scalars(sa.select(VisitRequest).where(VisitRequest.session_id == session.id,
                                                              VisitRequest.status == "dijadwalkan")).all()
    now = clock.utcnow()
    for req in linked:
        if session.status == "selesai":
            changes = {"status": [req.status, "selesai"]}
            req.status, req.closed_at = "selesai", now
            note = _("Sesi #%(id)s selesai.", id=session.id)
        else:
            changes = {"status": [req.status, "diverifikasi"], "session_id": [req.session_id, None]}
            req.status, req.session_id = "diverifikasi", None
            note = _("Sesi #%(id)s dibatalkan: jadwalkan lagi.", id=session.id)
        req.status_changed_at = now
        record_change("visit_request", req.id, "status", getattr(user, "id", None), changes, note)
    return len(linked)
