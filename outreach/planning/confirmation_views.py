"""Confirmation with the site's contact: the coordinator's two actions on the session page, and the public
signed page where the contact answers (no login; only the session's place, days and hours, nothing about
residents). Thin views: access (queries.session_to_edit, which asks outreach.permissions; the signed link for
the public page), one call to outreach.planning.confirmation, respond. A bad or expired link is a plain 404.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField

from outreach import clock, permissions
from outreach.i18n import lazy_gettext as _l
from outreach.planning import confirmation, queries
from outreach.planning.errors import NotAllowed, NotFound, StaleSession, ValidationFailed
from outreach.security import public, roles_required
from outreach.vocab import labels_of, session_kind_labels, target_group_labels

bp = Blueprint("confirmation", __name__)


class RequestForm(FlaskForm):
    email = StringField(_l("E-mail narahubung (opsional)"),
                        render_kw={"type": "email", "maxlength": confirmation.EMAIL_MAX_CHARS,
                                   "autocomplete": "off"},
                        description=_l("Bila server e-mail diatur, tautan juga dikirim ke alamat ini."))


class AnswerForm(FlaskForm):
    answer = RadioField(_l("Jawaban"), choices=[
        ("konfirmasi", _l("Bersedia, jadwal sesuai")),
        ("jadwal_ulang", _l("Minta tanggal lain")),
        ("tolak", _l("Tidak bersedia"))], validate_choice=False)
    proposed_date = StringField(_l("Tanggal lain yang diusulkan"), render_kw={"type": "date"})
    note = TextAreaField(_l("Catatan (opsional)"), render_kw={"rows": 3, "maxlength": confirmation.NOTE_MAX_CHARS})


# ---------------------------------------------------------------- the coordinator's actions

def _session_to_edit_or_404(session_id: int):
    try:
        return queries.session_to_edit(current_user, session_id)
    except (NotAllowed, NotFound):
        abort(404)


@bp.route("/sesi/<int:session_id>/konfirmasi-lokasi", methods=["POST"])
@roles_required(*permissions.PLANNERS)
def ask(session_id: int):
    """"Minta konfirmasi": a fresh signed link (and the e-mail when SMTP is set); back to the session page."""
    session = _session_to_edit_or_404(session_id)
    form = RequestForm()
    try:
        link = confirmation.request_confirmation(session, current_user, clock.utcnow(), email=form.email.data)
    except ValidationFailed as exc:
        for message in exc.errors.values():
            flash(message, "error")
    except StaleSession as exc:
        flash(exc.message, "error")
    else:
        if link.emailed:
            flash(_("Tautan konfirmasi dibuat dan dikirim lewat e-mail."), "success")
        else:
            flash(_("Tautan konfirmasi dibuat. Kirim ke narahubung lokasi lewat WhatsApp."), "success")
        if link.mail_error:
            flash(link.mail_error, "warning")
    return redirect(url_for("planning.session_detail", session_id=session_id, _anchor="konfirmasi-lokasi"))


@bp.route("/sesi/<int:session_id>/konfirmasi-lokasi/terkirim", methods=["POST"])
@roles_required(*permissions.PLANNERS)
def sent(session_id: int):
    """"Sudah dikirim": the coordinator sent the link (diminta → menunggu balasan)."""
    session = _session_to_edit_or_404(session_id)
    try:
        if confirmation.mark_sent(session, current_user):
            flash(_("Tercatat: tautan sudah dikirim, menunggu balasan."), "success")
    except StaleSession as exc:
        flash(exc.message, "error")
    return redirect(url_for("planning.session_detail", session_id=session_id, _anchor="konfirmasi-lokasi"))


# ---------------------------------------------------------------- the public page

@bp.route("/konfirmasi/<token>", methods=["GET", "POST"])
@public
def page(token: str):
    """The contact's page: the session and the three answers; after answering, the recorded answer."""
    session = confirmation.verify(token)
    if session is None:
        abort(404)
    form = AnswerForm()
    now = clock.utcnow()
    code, answered = 200, False
    if request.method == "POST":
        try:
            confirmation.answer(session, form.answer.data, form.proposed_date.data, form.note.data, now)
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                if name in form._fields:
                    form[name].errors = [message]
                else:
                    form.form_errors.append(message)
            code = 422
        except StaleSession as exc:
            form.form_errors.append(exc.message)
            code = 409
        else:
            answered = True
    elif session.confirmation_status in ("terkonfirmasi", "jadwal_ulang", "ditolak"):
        _prefill(form, session)
    regions = queries.region_info([session.desa_kode, session.kecamatan_kode, session.kabupaten_kode])
    from outreach.planning.serialize import address_of

    return render_template(
        "confirmation/page.html", s=session, form=form, answered=answered, open=confirmation.can_answer(session, now),
        place=address_of(session, regions), day=confirmation.day_text(session.date, session.end_date),
        hours=confirmation.hours_text(session.start_time, session.end_time),
        prepare=confirmation.preparations(session.site.type, session.kind, session.target_groups),
        labels=labels_of("confirmation_status"), kind_label=session_kind_labels().get(session.kind, session.kind),
        groups=[target_group_labels().get(g, g) for g in session.target_groups or ()],
        team_size=len(session.kits),
        min_date=(clock.local_today() + timedelta(days=1)).isoformat()), code


def _prefill(form: AnswerForm, session) -> None:
    keys = {v: k for k, v in confirmation.CONFIRMATION_ANSWERS.items()}
    form.answer.data = keys.get(session.confirmation_status)
    form.proposed_date.data = session.confirmation_proposed_date.isoformat() \
        if session.confirmation_proposed_date else ""
    form.note.data = session.confirmation_note or ""


# ---------------------------------------------------------------- for the planning templates

@bp.app_template_global()
def confirmation_labels() -> dict:
    """{confirmation status: label} for the session page and the calendar's badges."""
    return labels_of("confirmation_status")


@bp.app_template_global()
def confirmation_panel(session) -> dict:
    """What the session page shows of the confirmation: state, the current link, its WhatsApp URL, the forms."""
    from outreach.planning import session_page

    return session_page.confirmation_panel(current_user, session, clock.utcnow(), RequestForm(formdata=None))

