"""Admin: a large upload processed in the background (outreach/imports/tasks.py).

The upload page hands a large file (or one the admin sends to the background) to `tasks.submit` and redirects
here at once; the task's page shows a progress bar fed by its JSON twin (polled by static/js/import_task.js),
then the preview's report with Terapkan (which queues the storing, in the background too), or the stored
import's result. Only the admin who uploaded it sees a task (outreach.permissions.can_see_import_task); anyone
else gets 404.
"""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField

from outreach import permissions
from outreach.admin import bp
from outreach.extensions import db
from outreach.imports import tasks
from outreach.models import ImportTask
from outreach.security import roles_required

RECENT_TASKS = 10


class TaskActionForm(FlaskForm):
    """Terapkan / Batal: a POST with its CSRF token and nothing else."""
    submit = SubmitField()


def _task_or_404(task_id: int) -> ImportTask:
    task = db.session.get(ImportTask, task_id)
    if not permissions.can_see_import_task(current_user, task):
        abort(404)
    return task


def recent_tasks(user) -> list[ImportTask]:
    """The user's latest background imports (the imports page's list)."""
    return db.session.scalars(db.select(ImportTask).where(ImportTask.user_id == user.id)
                              .order_by(ImportTask.id.desc()).limit(RECENT_TASKS)).all()


def start(kind: str, filename: str, upload, choices: dict):
    """Queue `upload` (a FileStorage) as a background preview and send the admin to its page."""
    task = tasks.submit(kind, filename, upload.stream, choices, current_user.id)
    tasks.ensure_runner(current_app._get_current_object())
    return redirect(url_for("admin.import_task", task_id=task.id))


@bp.route("/admin/impor/tugas/<int:task_id>")
@roles_required(*permissions.ADMINS)
def import_task(task_id: int):
    task = _task_or_404(task_id)
    from outreach.admin.imports import _mb, kind_labels

    return render_template("admin/imports/task.html", task=task, size_mb=_mb(task.size) or "0", status=tasks.status_of(task),
                           report=tasks.report_of(task), result=task.result or {}, kind_labels=kind_labels(),
                           can_apply=tasks.can_apply(task), action_form=TaskActionForm(),
                           title=_("Impor di latar belakang"))


@bp.route("/admin/impor/tugas/<int:task_id>.json")
@roles_required(*permissions.ADMINS)
def import_task_status(task_id: int):
    response = jsonify(tasks.status_of(_task_or_404(task_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/impor/tugas/<int:task_id>/terapkan", methods=["POST"])
@roles_required(*permissions.ADMINS)
def import_task_apply(task_id: int):
    task = _task_or_404(task_id)
    if not TaskActionForm().validate_on_submit():
        abort(400)
    if tasks.request_apply(task.id, current_user.id):
        tasks.ensure_runner(current_app._get_current_object())
    else:
        flash(_("Pratinjau ini tidak dapat disimpan lagi (sudah disimpan, dibatalkan, atau kedaluwarsa)."), "warning")
    return redirect(url_for("admin.import_task", task_id=task.id))


@bp.route("/admin/impor/tugas/<int:task_id>/batal", methods=["POST"])
@roles_required(*permissions.ADMINS)
def import_task_cancel(task_id: int):
    task = _task_or_404(task_id)
    if not TaskActionForm().validate_on_submit():
        abort(400)
    if tasks.cancel(task.id, current_user.id):
        flash(_("Impor dibatalkan. Tidak ada yang disimpan."), "info")
    return redirect(url_for("admin.import_index"))
