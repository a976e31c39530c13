"""Overdue logs: sessions that ended more than OVERDUE_LOG_HOURS ago and are still rencana/terkonfirmasi.

The team's field users and the kecamatan's coordinators are told once per session
(ref "overdue:<session id>"). Turnout logs set a session to selesai, which ends this.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from outreach.extensions import db
from outreach.jobs import sessions_query as q
from outreach.jobs.context import JobContext
from outreach.jobs.notify import NewNotification, add_notifications, mail_pending, path_for
from outreach.jobs.texts import day_label, time_range, zone_label
from outreach.models import RecordingSession

OVERDUE_STATUSES = ("rencana", "terkonfirmasi")


def session_end(session, tz) -> datetime:
    """When the session's last day ended, as an aware datetime (times are local wall-clock times)."""
    return datetime.combine(session.end_date or session.date, session.end_time, tzinfo=tz)


def run(ctx: JobContext) -> dict:
    hours = int(ctx.setting("OVERDUE_LOG_HOURS", 24))
    threshold = ctx.slot - timedelta(hours=hours)
    last_day = threshold.astimezone(ctx.tz).date()
    first_day = last_day - timedelta(days=int(ctx.setting("OVERDUE_LOOKBACK_DAYS", 14)))
    last_date = sa.func.coalesce(RecordingSession.end_date, RecordingSession.date)
    candidates = db.session.scalars(q.with_details(sa.select(RecordingSession).where(
        RecordingSession.status.in_(OVERDUE_STATUSES),
        RecordingSession.date <= last_day, RecordingSession.date >= first_day - timedelta(days=7),
        last_date <= last_day, last_date >= first_day)
        .order_by(RecordingSession.date, RecordingSession.start_time, RecordingSession.id))).all()
    overdue = [s for s in candidates if session_end(s, ctx.tz) <= threshold]
    infos = q.session_infos(overdue)
    members = q.field_users_by_team(s.team_id for s in overdue)
    coordinators = q.coordinators_by_kecamatan(s.kecamatan_kode for s in overdue)
    zone = zone_label(ctx.tz.key)
    items = []
    for s in overdue:
        info = infos[s.id]
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "id")):
            title = _("Log belum diisi: %(site)s, %(day)s", site=info.site_nama, day=day_label(s.date))
            body = _("Sesi %(team)s di %(site)s (%(desa)s) pada %(day)s pukul %(time)s sudah lewat lebih dari "
                     "%(hours)d jam, tetapi hasil perekamannya belum dilaporkan. Mohon tim segera mengisi log, "
                     "atau koordinator memperbarui status sesi bila sesi tidak jadi dilaksanakan.",
                     team=info.team_nama, site=info.site_nama, desa=info.desa_nama or "-",
                     day=day_label(s.date), time=time_range(s.start_time, s.end_time, zone), hours=hours)
        link = path_for(current_app, ("planning.session_detail", {"session_id": s.id}))
        for user_id in members.get(s.team_id, []) + coordinators.get(s.kecamatan_kode, []):
            items.append(NewNotification(user_id=user_id, kind="overdue", title=title, body=body, link=link,
                                         ref=f"overdue:{s.id}"))
    created = add_notifications(items)
    emailed = mail_pending(ctx.config, {n.ref for n in items})
    return {"overdue_sessions": len(overdue), "session_ids": [s.id for s in overdue][:50],
            "notifications": created, "emails": emailed}
