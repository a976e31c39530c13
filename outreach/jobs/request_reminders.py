"""Daily reminder to the kecamatan's coordinators: visit requests waiting (baru/diverifikasi) longer than
REQUEST_REMINDER_DAYS days.

One notification per request, coordinator and day (ref "request-reminder:<id>:<date>"); `reminded_at` marks
a request reminded on the slot's day, so a job fired twice that day reminds nobody twice.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from outreach.extensions import db
from outreach.jobs.context import JobContext
from outreach.jobs.notify import NewNotification, add_notifications, mail_pending, path_for
from outreach.models import Region
from outreach.models.requests import VisitRequest
from outreach.requests.queue import age_days, coordinators_of
from outreach.vocab import REQUEST_WAITING_STATUSES, labels_of


def run(ctx: JobContext) -> dict:
    days = int(ctx.setting("REQUEST_REMINDER_DAYS", 3))
    day_start = datetime.combine(ctx.day, time(0), tzinfo=ctx.tz)
    requests = db.session.scalars(sa.select(VisitRequest).where(
        VisitRequest.status.in_(REQUEST_WAITING_STATUSES),
        VisitRequest.created_at < ctx.slot - timedelta(days=days),
        sa.or_(VisitRequest.reminded_at.is_(None), VisitRequest.reminded_at < day_start))
        .order_by(VisitRequest.kecamatan_kode, VisitRequest.created_at, VisitRequest.id)).all()
    coordinators = coordinators_of(r.kecamatan_kode for r in requests)
    desa_names = dict(db.session.execute(sa.select(Region.kode, Region.nama).where(
        Region.kode.in_({r.desa_kode for r in requests}))).all()) if requests else {}
    items, without_coordinator = [], set()
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "id")):
        kinds = labels_of("request_kind", _)
        statuses = labels_of("request_status", _)
        for req in requests:
            users = coordinators.get(req.kecamatan_kode, [])
            if not users:
                without_coordinator.add(req.kecamatan_kode)
            waited = age_days(req.created_at, ctx.slot, ctx.tz)
            title = _("Permohonan %(code)s menunggu %(n)s hari", code=req.code, n=waited)
            body = _("%(kind)s di %(desa)s, %(people)s orang, status %(status)s. Tindak lanjuti di antrean "
                     "permohonan.", kind=kinds.get(req.kind, req.kind),
                     desa=desa_names.get(req.desa_kode, req.desa_kode), people=req.people,
                     status=statuses.get(req.status, req.status).lower())
            link = path_for(current_app, ("request_queue.detail", {"request_id": req.id}))
            items.extend(NewNotification(user_id=uid, kind="reminder", title=title, body=body, link=link,
                                         ref=f"request-reminder:{req.id}:{ctx.day.isoformat()}") for uid in users)
    if requests:
        # A plain UPDATE: the reminder is no change of the request (its version stays for the coordinator's form).
        db.session.execute(sa.update(VisitRequest.__table__)
                           .where(VisitRequest.__table__.c.id.in_([r.id for r in requests]))
                           .values(reminded_at=ctx.slot))
    created = add_notifications(items)
    emailed = mail_pending(ctx.config, {n.ref for n in items})
    db.session.commit()
    return {"requests": len(requests), "notifications": created, "emails": emailed,
            "kecamatan_without_coordinator": sorted(without_coordinator)}
