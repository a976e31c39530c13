"""Pages of the planner: ask for a proposal, review it on a map and per day, accept in one step."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from outreach.i18n import lazy_gettext as _l
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired

from outreach.planner import home_visits, loader, region_choice, store
from outreach.planner.validate import PlanInputError
from outreach.planning import queries as planning_queries
from outreach.regions import picker
from outreach.security import roles_required
from outreach import clock, permissions
from outreach.templating import region_with_code, short_day

bp = Blueprint("planner", __name__)


class PlanForm(FlaskForm):
    region = SelectField(_l("Wilayah (kecamatan atau kabupaten/kota)"), validators=[DataRequired()])
    date_from = DateField(_l("Tanggal mulai"), validators=[DataRequired(_l("Tanggal mulai wajib diisi."))])
    date_to = DateField(_l("Tanggal akhir"), validators=[DataRequired(_l("Tanggal akhir wajib diisi."))])
    team_ids = SelectMultipleField(_l("Tim yang tersedia (kosong: semua)"), coerce=int)
    kit_ids = SelectMultipleField(_l("Alat yang tersedia (kosong: semua yang tidak diperbaiki)"), coerce=int)
    submit = SubmitField(_l("Usulkan jadwal"))


class AcceptForm(FlaskForm):
    """CSRF only: the kept items and their dates are read from the request (one checkbox per item)."""
    submit = SubmitField(_l("Terima"))


def _preselect(form: PlanForm) -> Optional[str]:
    """Fill an unsent form from the link that led here (a desa row, the calendar, the session list):
    `kecamatan` or `desa` (its kecamatan is planned), `date_from`, `date_to`. Returns the desa's kode.
    The region is checked against the user's regions afterwards (_plan_form)."""
    if form.is_submitted():
        return None
    args = request.args
    desa = (args.get("desa") or "").strip()
    wanted = (args.get("kecamatan") or args.get("region") or "").strip()
    if desa.count(".") == 3 and permissions.in_scope(current_user, desa):
        wanted = desa.rsplit(".", 1)[0]
    else:
        desa = ""
    form.region.data = wanted or None
    for name in ("date_from", "date_to"):
        raw = (args.get(name) or "").strip()
        try:
            getattr(form, name).data = date.fromisoformat(raw) if raw else None
        except ValueError:
            pass
    if form.date_from.data is None:
        form.date_from.data = clock.local_today() + timedelta(days=1)
    if form.date_to.data is None or form.date_to.data < form.date_from.data:
        form.date_to.data = form.date_from.data + timedelta(days=13)
    return desa or None


def _plan_form() -> tuple[PlanForm, picker.AreaPicker, Optional[str]]:
    """The request form with its choices, its area picker (stepwise above AREA_SELECT_MAX kecamatan) and
    the desa of the link that led here."""
    form = PlanForm()
    desa = _preselect(form)
    picks = picker.submitted_picks(request.form if form.is_submitted() else request.args)
    area, chosen = region_choice.plan_region(current_user, form.region.data or "",
                                             picker.select_max(current_app.config), picks)
    if area.stepwise:
        form.region.choices = [(chosen, chosen)] if chosen else []
        form.region.data = chosen
    else:
        regions = loader.planning_regions(current_user)
        form.region.choices = [(r.kode, region_with_code(r.nama, r.kode)) for r in regions]
        if not form.is_submitted() and not any(r.kode == form.region.data for r in regions):
            form.region.data = None
    # A province or the whole country (the stepwise picker): the teams and kits of the chosen region's
    # kabupaten/kota, the only ones its plan may use (and those already chosen, refused then by name).
    office = (picker.path_of(form.region.data or "").get("kabupaten") or "") if area.stepwise else None
    teams = [t for t in planning_queries.visible_teams(current_user, office_in=office,
                                                       keep_ids=form.team_ids.data or ()) if t.active]
    kits = planning_queries.visible_kits(current_user, office_in=office, keep_ids=form.kit_ids.data or ())
    form.team_ids.choices = [(t.id, t.nama) for t in teams]
    form.kit_ids.choices = [(k.id, k.code + (" (" + _("sedang diperbaiki") + ")" if k.status in loader.REPAIR_STATUSES
                                             else "")) for k in kits]
    return form, area, desa


@bp.route("/usulan-jadwal", methods=["GET", "POST"])
@roles_required(*permissions.PLANNERS)
def new_plan():
    """The request form: region in scope, date range, teams and kits available."""
    form, area, desa_kode = _plan_form()
    desa_name = planning_queries.region_names([desa_kode]).get(desa_kode) if desa_kode else None
    issues = []
    # "Tampilkan" of the stepwise picker without JavaScript: show the next list, plan nothing.
    if "area_step" not in request.form and form.validate_on_submit():
        raw = {"region": form.region.data, "date_from": form.date_from.data, "date_to": form.date_to.data,
               "team_ids": form.team_ids.data or None, "kit_ids": form.kit_ids.data or None}
        try:
            proposal = store.create_proposal(current_user, raw)
        except PlanInputError as exc:
            issues = [i.message for i in exc.issues]
        except loader.RegionNotFound:
            issues = [_("Wilayah tidak ditemukan atau di luar cakupan Anda.")]
        else:
            return redirect(url_for("planner.show_plan", proposal_id=proposal.id))
    recent = store.recent_proposals(current_user)
    return render_template("planner/new.html", form=form, area=area, issues=issues, title=_("Usulan jadwal"),
                           desa=(desa_name, desa_kode) if desa_kode else None,
                           recent=recent, region_names=planning_queries.region_names(r.region_kode for r in recent)
                           ), (422 if issues else 200)


def _proposal_or_404(proposal_id: int):
    proposal = store.get_proposal(current_user, proposal_id)
    if proposal is None:
        abort(404)
    return proposal


def _for_page(data: dict) -> dict:
    """The proposal with each item's day as the pages write it (the map's tooltips read `day_label`)."""
    data["items"] = [dict(item, day_label=short_day(item.get("date")), home_visit_text=_home_visit_text(item))
                     for item in data.get("items", [])]
    return data


def _home_visit_text(item: dict) -> Optional[str]:
    """"Kunjungan rumah untuk permohonan JB-XXXXXX (lansia, 1 orang)" for a home visit (None otherwise): the
    request's code, kind and head count, never the requester's name or phone."""
    if not item.get("request_code"):
        return None
    return _("Kunjungan rumah untuk permohonan %(code)s (%(kind)s, %(n)s orang)", code=item["request_code"],
             kind=home_visits.kind_text(item.get("request_kind", ""), _), n=item.get("people", 0))


def _region_name(kode: str) -> Optional[str]:
    return planning_queries.region_names([kode]).get(kode)


def _by_day(items: list[dict]) -> list[tuple[str, list[tuple[int, dict]]]]:
    days: dict[str, list] = {}
    for i, item in enumerate(items):
        days.setdefault(item["date"], []).append((i, item))
    return sorted(days.items())


@bp.get("/usulan-jadwal/<int:proposal_id>")
@roles_required(*permissions.PLANNERS)
def show_plan(proposal_id: int):
    """The proposal: items with their reasons, total, left out, a map and a per-day list."""
    proposal = _proposal_or_404(proposal_id)
    data = _for_page(store.proposal_to_dict(proposal))
    return render_template("planner/show.html", p=data, by_day=_by_day(data["items"]), form=AcceptForm(),
                           region_name=_region_name(proposal.region_kode),
                           outcome=None, title=_("Usulan jadwal #%(id)s", id=proposal.id))


@bp.post("/usulan-jadwal/<int:proposal_id>/terima")
@roles_required(*permissions.PLANNERS)
def accept_plan(proposal_id: int):
    """Accept the checked items (with their possibly moved dates) in one step."""
    proposal = _proposal_or_404(proposal_id)
    items = proposal.result.get("items", [])
    kept = []
    for i, item in enumerate(items):
        if request.form.get(f"keep_{i}"):
            entry = {"index": i}
            new_date = (request.form.get(f"date_{i}") or "").strip()
            if new_date and new_date != item["date"]:
                entry["date"] = new_date
            kept.append(entry)
    form = AcceptForm()
    status = 200
    outcome = None
    try:
        outcome = store.accept_proposal(current_user, proposal, kept)
    except store.AcceptInputError as exc:
        flash(exc.message, "danger")
        status = 422
    except store.AlreadyAccepted as exc:
        flash(exc.message, "warning")
        status = 409
    else:
        if outcome.created:
            flash(_("%(n)s sesi dibuat dari usulan ini.", n=len(outcome.created)), "success")
        if outcome.refused:
            flash(_("%(n)s usulan ditolak karena bentrok atau tidak valid; tidak ada yang disimpan untuknya.",
                    n=len(outcome.refused)), "warning")
    proposal = _proposal_or_404(proposal_id)
    data = _for_page(store.proposal_to_dict(proposal))
    return render_template("planner/show.html", p=data, by_day=_by_day(data["items"]), form=form,
                           region_name=_region_name(proposal.region_kode),
                           outcome=outcome, title=_("Usulan jadwal #%(id)s", id=proposal.id)), status
