"""The coordinator's queue of visit requests: the list (/permohonan-masuk) and one request with its actions.

Thin views: access (outreach.permissions), a form, one call to outreach.requests.queue, a response. Every view
of a request's personal data (the detail page) is written to the audit trail ("lihat"); the list shows none.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from outreach import clock, permissions
from outreach.i18n import lazy_gettext as _l
from outreach.input_limits import page_number
from outreach.templating import clock_text, short_day
from outreach.models.requests import REQUEST_REASON_MAX
from outreach.regions import picker
from outreach.requests import queue, queue_area
from outreach.requests.privacy import personal_data
from outreach.security import roles_required
from outreach.vocab import choices_of, labels_of

bp = Blueprint("request_queue", __name__)


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    # A filter left out of the link (the dashboard's "?desa=…") means "all", not a bad choice.
    status = SelectField(_l("Status"), validate_choice=True, default="")
    kind = SelectField(_l("Jenis"), validate_choice=True, default="")
    desa = SelectField(_l("Desa/kelurahan"), validate_choice=True, default="")


class RequestActionForm(FlaskForm):
    """One move of a request (the button says which): reason for a refusal, session for a link."""
    status = HiddenField()
    version = HiddenField()
    reason = TextAreaField(_l("Alasan penolakan"), validators=[Optional(), Length(max=REQUEST_REASON_MAX)])
    session_id = SelectField(_l("Sesi"), validate_choice=False)


@bp.route("/permohonan-masuk")
@roles_required(*permissions.STAFF)
def index():
    """The queue of the user's area: waiting requests first, oldest first; no phone numbers."""
    form = QueueFilterForm(formdata=request.args)
    form.status.choices = [("", _("Semua status"))] + choices_of("request_status")
    form.kind.choices = [("", _("Semua jenis"))] + choices_of("request_kind")
    desa = queue_area.desa_filter(current_user, form.desa.data or "", picker.select_max(current_app.config),
                                  picker.submitted_picks(request.args))
    form.desa.data = desa.desa
    form.desa.choices = [("", _("Semua desa/kelurahan"))] + (desa.desa_options if desa.area.stepwise
                                                            else queue.request_desa(current_user))
    status_code = 200
    if request.args and not form.validate():
        status_code = 400
        for name in form.errors:
            form[name].data = ""
    filters = queue.QueueFilters(**{name: form[name].data or "" for name in ("status", "kind", "desa")},
                                 area=desa.region)
    page = queue.queue_page(current_user, filters, page_number(request.args.get("page")),
                            current_app.config.get("PER_PAGE", 50))
    now = clock.utcnow()
    ages = {r.id: queue.age_of(r, now) for r in page.items}
    return render_template("requests/queue/index.html", form=form, area=desa.area, page=page, ages=ages,
                           age_label=queue.age_label, kind_labels=labels_of("request_kind"),
                           status_labels=labels_of("request_status"), filtered=any(vars(filters).values()),
                           waiting=queue.waiting_total(current_user)), status_code


def _request_or_404(request_id: int):
    req = queue.visible_request(current_user, request_id) if 0 < request_id < 2**31 else None
    if req is None:
        abort(404)
    return req


def _render_detail(req, form=None, error=None, status_code=200):
    """The request with its personal data (audited as "lihat") and, for those who handle it, its actions."""
    can_handle = permissions.can_handle_request(current_user, req)
    sessions = queue.linkable_sessions(current_user, req) if can_handle and req.status in (
        "diverifikasi", "dijadwalkan") else []
    form = form or RequestActionForm()
    form.version.data = str(req.version)
    form.session_id.choices = [("", _("Pilih sesi…"))] + [
        (str(s.id), f"{short_day(s.date)} {clock_text(s.start_time)} · {s.site.nama}") for s in sessions]
    queue.record_views(current_user, [req])
    return render_template(
        "requests/queue/detail.html", req=req, personal=personal_data(req), form=form, error=error,
        can_handle=can_handle, targets=queue.allowed_targets(req.status) if can_handle else (),
        sessions=sessions, age=queue.age_of(req), age_label=queue.age_label, history=queue.request_history(req),
        kind_labels=labels_of("request_kind"), status_labels=labels_of("request_status")), status_code


@bp.route("/permohonan-masuk/<int:request_id>")
@roles_required(*permissions.STAFF)
def detail(request_id: int):
    return _render_detail(_request_or_404(request_id))


@bp.route("/permohonan-masuk/<int:request_id>/status", methods=["POST"])
@roles_required(*permissions.PLANNERS)
def change_status(request_id: int):
    """Verify, reject (with a reason), link to a session, or mark done: one form, the button names the move."""
    req = _request_or_404(request_id)
    if not permissions.can_handle_request(current_user, req):
        abort(403)
    form = RequestActionForm()
    form.session_id.choices = []
    if not form.validate():
        message = next(iter(e for errors in form.errors.values() for e in errors))
        return _render_detail(req, form, message, 400)
    target = (form.status.data or "").strip()[:20]
    try:
        queue.change_status(current_user, req, target, reason=form.reason.data or "",
                            session_id=form.session_id.data or None, expected_version=form.version.data or None)
    except queue.QueueError as exc:
        fresh = queue.visible_request(current_user, request_id)
        return _render_detail(fresh or req, form, exc.message, exc.status)
    flash(_("Permohonan %(code)s: %(status)s.", code=req.code,
            status=labels_of("request_status")[req.status].lower()), "success")
    return redirect(url_for("request_queue.detail", request_id=req.id))

