"""Unanswered confirmations: a site contact asked to confirm a session (diminta / menunggu) who has not
answered after CONFIRMATION_REMINDER_DAYS, for a session still to come: the kecamatan's coordinators are
told once per request (confirmation_reminded_at; ref "confirmation-reminder:<session>:<nonce>", so asking
again starts a new round).
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from outreach.extensions import db
from outreach.jobs import sessions_query as q
from outreach.jobs.context import JobContext
from outreach.jobs.notify import NewNotification, add_notifications, mail_pending, path_for
from outreach.models import RecordingSession
from outreach.models.planning import OPEN_STATUSES
from outreach.planning.confirmation import WAITING, day_text, hours_text
from outreach.vocab import labels_of


def run(ctx: JobContext) -> dict:
    days = int(ctx.setting("CONFIRMATION_REMINDER_DAYS", 2))
    asked_before = ctx.slot - timedelta(days=days)
    RS = RecordingSession
    sessions = db.session.scalars(q.with_details(sa.select(RS).where(
        RS.confirmation_status.in_(WAITING), RS.confirmation_reminded_at.is_(None),
        RS.confirmation_requested_at <= asked_before, RS.status.in_(OPEN_STATUSES), RS.date >= ctx.day)
        .order_by(RS.date, RS.start_time, RS.id))).all()
    coordinators = q.coordinators_by_kecamatan(s.kecamatan_kode for s in sessions)
    items = []
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "id")):
        labels = labels_of("confirmation_status", _)
        for s in sessions:
            day = day_text(s.date, s.end_date)
            title = _("Belum ada jawaban lokasi: %(site)s, %(day)s", site=s.site.nama, day=day)
            body = _("Narahubung %(site)s belum menjawab permintaan konfirmasi (%(state)s) lebih dari %(days)d hari. "
                     "Sesi: %(day)s pukul %(hours)s WIB. Hubungi narahubung, atau kirim ulang tautan dari halaman "
                     "sesi.", site=s.site.nama, state=labels[s.confirmation_status], days=days, day=day,
                     hours=hours_text(s.start_time, s.end_time))
            link = path_for(current_app, ("planning.session_detail", {"session_id": s.id}))
            for user_id in coordinators.get(s.kecamatan_kode, []):
                items.append(NewNotification(user_id=user_id, kind="confirmation", title=title, body=body, link=link,
                                             ref=f"confirmation-reminder:{s.id}:{s.confirmation_nonce}"))
    created = add_notifications(items)
    if sessions:
        # A plain UPDATE: the reminder is no change of the session a planner could be editing (no version bump).
        db.session.execute(sa.update(RS).where(RS.id.in_([s.id for s in sessions]))
                           .values(confirmation_reminded_at=ctx.slot).execution_options(synchronize_session=False))
    db.session.commit()
    emailed = mail_pending(ctx.config, {n.ref for n in items})
    return {"sessions": len(sessions), "session_ids": [s.id for s in sessions][:50], "notifications": created,
            "emails": emailed}
