"""Weekly digest for managers, from the daily snapshots: the backlog's change since the snapshot a week
before (or the newest one before that; the digest names the dates it really compares), the slowest
kecamatan, sessions done and logs overdue, and a straight-line forecast that never gives a date already
past. In-app and by e-mail."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from outreach.extensions import db
from outreach.jobs.context import JobContext
from outreach.jobs.notify import NewNotification, add_notifications, mail_pending, path_for
from outreach.jobs.texts import day_label, number
from outreach.models import RecordingSession, Region, User
from outreach.models.jobs import CoverageSnapshot

# ----------------------------------------------------------------- plain computation (no database)


@dataclass(frozen=True)
class AreaPoint:
    kode: str
    nama: str
    backlog: int
    reachable_backlog: int


@dataclass
class Digest:
    scope_nama: str
    date: date
    prev_date: Optional[date]
    backlog: int
    reachable_backlog: int
    backlog_change: Optional[int]          # negative: fell
    reachable_change: Optional[int]
    slowest: list = field(default_factory=list)  # [(AreaPoint, drop or None)]
    sessions_done: Optional[int] = None
    sessions_overdue: Optional[int] = None
    today: Optional[date] = None  # the day the digest is sent (default: the snapshot's date)

    @property
    def days_compared(self) -> Optional[int]:
        return (self.date - self.prev_date).days if self.prev_date else None

    @property
    def weeks_to_zero(self) -> Optional[int]:
        """Weeks from the snapshot's date at the pace between the two snapshots; None when the reachable
        backlog did not fall."""
        if self.reachable_backlog == 0:
            return 0
        if self.reachable_change is None or self.reachable_change >= 0 or not self.days_compared:
            return None
        weekly = -self.reachable_change * 7 / self.days_compared
        return math.ceil(self.reachable_backlog / weekly)

    @property
    def finish_date(self) -> Optional[date]:
        weeks = self.weeks_to_zero
        if weeks is None:
            return None
        return self.date + timedelta(weeks=weeks)


def compute_digest(scope_nama: str, day: date, now: AreaPoint, prev: Optional[AreaPoint],
                   prev_date: Optional[date], kec_now: list[AreaPoint], kec_prev: dict[str, int],
                   slowest_count: int = 3, today: Optional[date] = None) -> Digest:
    """The digest figures for one scope from its snapshot points (today's and a week before)."""
    def drop_of(p: AreaPoint) -> Optional[int]:
        return kec_prev[p.kode] - p.backlog if p.kode in kec_prev else None

    lagging = [p for p in kec_now if p.reachable_backlog > 0]
    lagging.sort(key=lambda p: (drop_of(p) if drop_of(p) is not None else 0, -p.reachable_backlog, p.kode))
    return Digest(scope_nama=scope_nama, date=day, prev_date=prev_date, backlog=now.backlog,
                  reachable_backlog=now.reachable_backlog,
                  backlog_change=(now.backlog - prev.backlog) if prev else None,
                  reachable_change=(now.reachable_backlog - prev.reachable_backlog) if prev else None,
                  slowest=[(p, drop_of(p)) for p in lagging[:slowest_count]], today=today or day)


def digest_text(d: Digest) -> str:
    """The digest as plain text (notification body and e-mail)."""
    period = {"since": day_label(d.prev_date), "days": d.days_compared} if d.prev_date else {}

    def change(value: Optional[int]) -> str:
        if value is None:
            return _("belum ada potret pembanding sebelumnya")
        if value < 0:
            return _("turun %(n)s sejak %(since)s (%(days)s hari)", n=number(-value), **period)
        if value > 0:
            return _("naik %(n)s sejak %(since)s (%(days)s hari)", n=number(value), **period)
        return _("tidak berubah sejak %(since)s (%(days)s hari)", **period)

    lines = [_("Ringkasan mingguan %(scope)s per %(day)s", scope=d.scope_nama, day=day_label(d.date)), ""]
    if d.today and (d.today - d.date).days > 1:  # older than last night's
        lines.append(_("Potret terbaru bertanggal %(day)s; angka sesudahnya belum masuk ringkasan ini.",
                       day=day_label(d.date)))
    lines += [
             _("Belum rekam (backlog): %(n)s — %(change)s", n=number(d.backlog), change=change(d.backlog_change)),
             _("Backlog terjangkau: %(n)s — %(change)s", n=number(d.reachable_backlog),
               change=change(d.reachable_change))]
    if d.sessions_done is not None:
        lines.append(_("Sesi selesai 7 hari terakhir: %(n)s", n=number(d.sessions_done)))
    if d.sessions_overdue is not None:
        lines.append(_("Sesi tanpa log (terlambat): %(n)s", n=number(d.sessions_overdue)))
    weeks = d.weeks_to_zero
    if weeks == 0:
        lines.append(_("Perkiraan: backlog terjangkau sudah habis."))
    elif weeks is None:
        lines.append(_("Perkiraan: backlog terjangkau tidak turun dalam periode ini, sehingga tanggal tuntas belum "
                       "dapat diperkirakan."))
    elif d.today and d.finish_date < d.today:
        lines.append(_("Perkiraan: dengan laju itu backlog terjangkau seharusnya sudah habis, tetapi potret terbaru "
                       "(%(day)s) belum menunjukkannya; tanggal tuntas menunggu potret baru.", day=day_label(d.date)))
    else:
        lines.append(_("Perkiraan: dengan laju periode ini, backlog terjangkau habis dalam sekitar %(weeks)d "
                       "minggu (%(day)s).", weeks=weeks, day=day_label(d.finish_date)))
    if d.slowest:
        lines += ["", _("Kecamatan paling lambat:")]
        for i, (p, drop) in enumerate(d.slowest, start=1):
            moved = _("tanpa pembanding") if drop is None else (
                _("turun %(n)s", n=number(drop)) if drop > 0 else
                _("tidak turun") if drop == 0 else _("naik %(n)s", n=number(-drop)))
            lines.append(_("%(i)d. %(nama)s: backlog terjangkau %(n)s (%(moved)s)", i=i, nama=p.nama,
                           n=number(p.reachable_backlog), moved=moved))
    return "\n".join(lines)


# ----------------------------------------------------------------- the job

_SCOPE_COLUMN = {"provinsi": Region.provinsi_kode, "kabupaten": Region.kabupaten_kode}
NATIONAL = "nasional"  # the "level" of a manager at the national office


def _points(day: date, where) -> list[AreaPoint]:
    rows = db.session.execute(
        sa.select(Region.kode, Region.nama, CoverageSnapshot.backlog, CoverageSnapshot.reachable_backlog)
        .join(Region, Region.kode == CoverageSnapshot.region_kode)
        .where(CoverageSnapshot.date == day, where).order_by(Region.kode))
    return [AreaPoint(*row) for row in rows]


def _latest_snapshot_date(on_or_before: date) -> Optional[date]:
    return db.session.scalar(sa.select(sa.func.max(CoverageSnapshot.date)).where(CoverageSnapshot.date <= on_or_before))


def _session_counts(scope_col, scope_kode: Optional[str], day: date, lookback_days: int) -> tuple[int, int]:
    """Sessions done in the last 7 days and overdue ones, in the scope (everywhere when `scope_col` is None)."""
    last_date = sa.func.coalesce(RecordingSession.end_date, RecordingSession.date)
    within = sa.true() if scope_col is None else getattr(RecordingSession, scope_col.key) == scope_kode
    done = db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession).where(
        within, RecordingSession.status == "selesai",
        RecordingSession.date > day - timedelta(days=7), RecordingSession.date <= day))
    overdue = db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession).where(
        within, RecordingSession.status.in_(("rencana", "terkonfirmasi")),
        last_date < day, last_date >= day - timedelta(days=lookback_days)))
    return done, overdue


def run(ctx: JobContext) -> dict:
    day_now = _latest_snapshot_date(ctx.day)
    if day_now is None:
        return {"managers": 0, "notifications": 0, "emails": 0, "note": "no snapshots yet"}
    day_prev = _latest_snapshot_date(day_now - timedelta(days=7))
    managers = db.session.execute(
        sa.select(User.id, User.scope_kode, Region.nama, Region.level)
        .join(Region, Region.kode == User.scope_kode)
        .where(User.role == "manager", User.active.is_(True), Region.level.in_(tuple(_SCOPE_COLUMN)))
        .order_by(User.id)).all()
    # Managers at the national office: the whole country (no scope, the national flag).
    managers += [(user_id, None, None, NATIONAL) for user_id in db.session.scalars(
        sa.select(User.id).where(User.role == "manager", User.active.is_(True), User.scope_kode.is_(None),
                                 User.national.is_(True)).order_by(User.id))]
    locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "id")
    link = path_for(current_app, ("coverage.dashboard", {}), ("main.home", {}))
    items, skipped, cache = [], 0, {}
    for user_id, scope_kode, scope_nama, level in managers:
        if scope_kode not in cache:
            cache[scope_kode] = _scope_digest(ctx, scope_kode, scope_nama, level, day_now, day_prev, locale)
        digest_body = cache[scope_kode]
        if digest_body is None:
            skipped += 1
            continue
        title, body = digest_body
        items.append(NewNotification(user_id=user_id, kind="digest", title=title, body=body, link=link,
                                     ref=f"digest:{ctx.day.isoformat()}"))
    created = add_notifications(items)
    emailed = mail_pending(ctx.config, {n.ref for n in items})
    return {"snapshot_date": day_now.isoformat(), "compared_with": day_prev.isoformat() if day_prev else None,
            "managers": len(items), "skipped_no_data": skipped, "notifications": created, "emails": emailed}


def _national_points(day: date, nama: str) -> list[AreaPoint]:
    """The country as one point: the sum of the provinces' snapshots (of the kabupaten/kota where a
    province has no row of its own)."""
    for level in ("provinsi", "kabupaten"):
        points = _points(day, Region.level == level)
        if points:
            return [AreaPoint("", nama, sum(p.backlog for p in points), sum(p.reachable_backlog for p in points))]
    return []


def _scope_digest(ctx, scope_kode, scope_nama, level, day_now, day_prev, locale):
    if level == NATIONAL:
        with force_locale(locale):
            scope_nama = _("seluruh Indonesia")
        now = _national_points(day_now, scope_nama)
        if not now:
            return None
        prev = _national_points(day_prev, scope_nama) if day_prev else []
        scope_col, kec_filter = None, Region.level == "kecamatan"
    else:
        scope_col = _SCOPE_COLUMN[level]
        now = _points(day_now, Region.kode == scope_kode)
        if not now:
            return None
        prev = _points(day_prev, Region.kode == scope_kode) if day_prev else []
        kec_filter = sa.and_(Region.level == "kecamatan", scope_col == scope_kode)
    kec_now = _points(day_now, kec_filter)
    kec_prev = {p.kode: p.backlog for p in _points(day_prev, kec_filter)} if day_prev else {}
    d = compute_digest(scope_nama, day_now, now[0], prev[0] if prev else None, day_prev, kec_now, kec_prev,
                       int(ctx.setting("DIGEST_SLOWEST_COUNT", 3)), today=ctx.day)
    d.sessions_done, d.sessions_overdue = _session_counts(scope_col, scope_kode, ctx.day,
                                                          int(ctx.setting("OVERDUE_LOOKBACK_DAYS", 14)))
    with force_locale(locale):
        return _("Ringkasan mingguan %(scope)s", scope=scope_nama), digest_text(d)
