"""Daily digest for the national admins: the jobs that failed in the last day, and runs lost with their
process that no scheduler has taken over. In-app and by e-mail; a day without either sends nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from outreach.extensions import db
from outreach.jobs.context import JobContext, as_utc
from outreach.jobs.lease import cutoffs
from outreach.jobs.notify import NewNotification, add_notifications, mail_pending, path_for
from outreach.models import User

# ----------------------------------------------------------------- plain text (no database)


@dataclass(frozen=True)
class RunFact:
    """What the digest says of one run."""
    job: str
    slot: datetime          # local time
    attempts: int
    when: Optional[datetime]  # failed at / last sign of life (local time)
    error: str = ""


def _moment(value: Optional[datetime]) -> str:
    return value.strftime("%d-%m-%Y %H.%M") if value else "?"


def digest_lines(failed: Sequence[RunFact], lost: Sequence[RunFact], max_attempts: int) -> list[str]:
    """The digest body, one line per fact; the first line lists the jobs that failed in the last day."""
    lines = []
    if failed:
        names = ", ".join(dict.fromkeys(f.job for f in failed))
        lines.append(_("Tugas yang gagal dalam 24 jam terakhir: %(jobs)s.", jobs=names))
        for f in failed:
            retry = _("tidak diulang lagi") if f.attempts >= max_attempts else _("akan diulang otomatis")
            lines.append(_("- %(job)s, slot %(slot)s: gagal pada %(when)s, percobaan %(n)s dari %(max)s, "
                           "%(retry)s. %(error)s", job=f.job, slot=_moment(f.slot), when=_moment(f.when),
                           n=f.attempts, max=max_attempts, retry=retry, error=f.error).rstrip())
    else:
        lines.append(_("Tidak ada tugas yang gagal dalam 24 jam terakhir."))
    if lost:
        lines += ["", _("Tugas terputus (prosesnya berhenti dan belum diambil alih; apakah penjadwal berjalan?):")]
        for f in lost:
            lines.append(_("- %(job)s, slot %(slot)s: tanda hidup terakhir %(when)s, percobaan %(n)s dari %(max)s",
                           job=f.job, slot=_moment(f.slot), when=_moment(f.when), n=f.attempts, max=max_attempts))
    return lines


# ----------------------------------------------------------------- the job

def run(ctx: JobContext) -> dict:
    from outreach.jobs.overview import failed_runs, lost_runs

    until = ctx.slot
    failed = failed_runs(until - timedelta(days=1), until)
    lost = lost_runs(cutoffs(ctx.config, until))
    if not failed and not lost:
        return {"failed": 0, "lost": 0, "admins": 0, "notifications": 0, "emails": 0}

    def local(value):
        return as_utc(value).astimezone(ctx.tz) if value else None

    facts_failed = [RunFact(r.job, local(r.slot), r.attempts, local(r.finished_at),
                            (r.error or "").splitlines()[0][:300] if r.error else "") for r in failed]
    facts_lost = [RunFact(r.job, local(r.slot), r.attempts, local(r.heartbeat_at or r.claimed_at)) for r in lost]
    max_attempts = int(ctx.setting("JOB_MAX_ATTEMPTS", 3))
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "id")):
        title = _("Tugas terjadwal: %(failed)d gagal, %(lost)d terputus", failed=len(failed), lost=len(lost))
        body = "\n".join(digest_lines(facts_failed, facts_lost, max_attempts))
    admins = db.session.scalars(sa.select(User.id).where(
        User.role == "admin", User.active.is_(True), sa.or_(User.scope_kode.is_(None), User.scope_kode == ""))
        .order_by(User.id)).all()
    link = path_for(current_app, ("jobs.admin_jobs", {}))
    ref = f"admin-digest:{ctx.day.isoformat()}"
    created = add_notifications([NewNotification(user_id=user_id, kind="digest", title=title, body=body, link=link,
                                                 ref=ref) for user_id in admins])
    emailed = mail_pending(ctx.config, {ref})
    return {"failed": len(failed), "lost": len(lost), "admins": len(admins), "notifications": created,
            "emails": emailed}
