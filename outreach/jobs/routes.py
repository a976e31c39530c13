"""Admin jobs page (schedule, last runs, run now) and the notification pages of every user."""
from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from outreach.extensions import db
from outreach.input_limits import page_number
from outreach.jobs import bp
from outreach.models.base import utcnow
from outreach.models.jobs import Notification
from outreach.security import any_role, national_admin_required
from outreach import vocab


# ----------------------------------------------------------------- admin: jobs

@bp.route("/admin/jobs")
@national_admin_required
def admin_jobs():
    from outreach.jobs.overview import job_problems, jobs_overview
    from outreach.jobs.registry import JOBS
    from outreach.jobs.scheduler import scheduler_status

    now = utcnow()
    return render_template("jobs/admin.html", title=_("Tugas terjadwal"),
                           jobs=jobs_overview(current_app.config, now),
                           problems=job_problems(current_app.config, now),
                           max_attempts=current_app.config["JOB_MAX_ATTEMPTS"],
                           job_labels={name: spec.label for name, spec in JOBS.items()},
                           scheduler_holder=scheduler_status(current_app),
                           status_labels=vocab.job_run_state_labels(),
                           status_colors={"claimed": "secondary", "running": "info", "done": "success",
                                          "failed": "danger", "lost": "warning text-dark"},
                           trigger_labels=vocab.job_trigger_labels())


@bp.route("/admin/jobs/<job_name>/jalankan", methods=["POST"])
@national_admin_required
def run_now(job_name):
    """Run a job now, for the current minute's slot (the same claim as the scheduler: a double click runs once)."""
    from outreach.jobs.registry import JOBS
    from outreach.jobs.runner import run_job

    if job_name not in JOBS:
        abort(404)
    outcome = run_job(job_name, utcnow().replace(second=0, microsecond=0), trigger="manual")
    if outcome.status == "done":
        flash(_("Tugas %(job)s selesai dijalankan.", job=job_name), "success")
    elif outcome.status == "failed":
        flash(_("Tugas %(job)s gagal: %(error)s", job=job_name, error=outcome.error), "error")
    else:
        flash(_("Tugas %(job)s sudah dijalankan untuk menit ini; tidak dijalankan dua kali.", job=job_name), "info")
    return redirect(url_for(".admin_jobs"))


# ----------------------------------------------------------------- notifications

def _own(query):
    return query.where(Notification.user_id == current_user.id)


@bp.route("/notifikasi")
@any_role
def notifications():
    page = page_number(request.args.get("page"))
    query = _own(sa.select(Notification)).order_by(Notification.created_at.desc(), Notification.id.desc())
    pagination = db.paginate(query, page=max(page, 1), per_page=current_app.config.get("PER_PAGE", 50),
                             error_out=False)
    return render_template("notifications/index.html", title=_("Notifikasi"), pagination=pagination)


@bp.route("/notifikasi/<int:notification_id>/baca", methods=["POST"])
@any_role
def mark_read(notification_id):
    note = db.session.scalar(_own(sa.select(Notification).where(Notification.id == notification_id)))
    if note is None:
        abort(404)  # someone else's notification does not exist for this user
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for(".notifications"))


@bp.route("/notifikasi/baca-semua", methods=["POST"])
@any_role
def mark_all_read():
    table = Notification.__table__
    count = db.session.execute(sa.update(table).where(table.c.user_id == current_user.id,
                                                      table.c.read_at.is_(None))
                               .values(read_at=utcnow())).rowcount
    db.session.commit()
    flash(_("%(n)d notifikasi ditandai sudah dibaca.", n=count), "success")
    return redirect(url_for(".notifications"))


def _safe_next(target):
    """Only a path on this site (never another host) is followed after marking read."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.app_context_processor
def notification_helpers():
    def unread_notification_count() -> int:
        if not current_user.is_authenticated:
            return 0
        try:
            return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
                Notification.user_id == current_user.id, Notification.read_at.is_(None))) or 0
        except SQLAlchemyError:  # the bell must not turn an error page into a second error
            db.session.rollback()
            return 0
    return {"unread_notification_count": unread_notification_count}
