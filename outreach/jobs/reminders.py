"""D-1 reminders: each team's sessions of the next day, in-app and (when SMTP is set) by e-mail.

The notification body carries the WhatsApp-ready text for the team and one for each site contact.
One notification per team member and day (ref "reminder:<team>:<date>"), however often the job runs.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from outreach.extensions import db
from outreach.jobs import sessions_query as q
from outreach.jobs.context import JobContext
from outreach.jobs.notify import NewNotification, add_notifications, mail_pending, path_for
from outreach.jobs.texts import day_label, reminder_body, zone_label
from outreach.models import RecordingSession
from outreach.models.planning import MAX_SESSION_DAYS, OPEN_STATUSES

REMIND_STATUSES = OPEN_STATUSES


def run(ctx: JobContext) -> dict:
    tomorrow = ctx.day + timedelta(days=1)
    sessions = db.session.scalars(q.with_details(sa.select(RecordingSession).where(
        RecordingSession.status.in_(REMIND_STATUSES),
        RecordingSession.date <= tomorrow,
        RecordingSession.date >= tomorrow - timedelta(days=MAX_SESSION_DAYS),
        sa.func.coalesce(RecordingSession.end_date, RecordingSession.date) >= tomorrow)
        .order_by(RecordingSession.team_id, RecordingSession.start_time, RecordingSession.id))).all()
    infos = q.session_infos(sessions)
    by_team = defaultdict(list)
    for s in sessions:
        by_team[(s.team_id, s.team.nama)].append(infos[s.id])
    members = q.field_users_by_team(team_id for team_id, _n in by_team)
    link = path_for(current_app, ("field.my_schedule", {}), ("planning.calendar", {}))
    zone = zone_label(ctx.tz.key)
    items, teams_without_users = [], []
    for (team_id, team_nama), team_sessions in by_team.items():
        if not members.get(team_id):
            teams_without_users.append(team_nama)
        body = reminder_body(team_nama, tomorrow, team_sessions, zone)
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "id")):
            title = _("Pengingat: %(n)d sesi besok, %(day)s", n=len(team_sessions), day=day_label(tomorrow))
        for user_id in members.get(team_id, ()):
            items.append(NewNotification(user_id=user_id, kind="reminder", title=title, body=body, link=link,
                                         ref=f"reminder:{team_id}:{tomorrow.isoformat()}"))
    created = add_notifications(items)
    emailed = mail_pending(ctx.config, {n.ref for n in items})
    return {"date": tomorrow.isoformat(), "sessions": len(sessions), "teams": len(by_team),
            "notifications": created, "emails": emailed, "teams_without_users": sorted(teams_without_users)}
