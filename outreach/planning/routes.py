"""Planning pages: calendar, session list, session page and forms, printed schedule, iCal feed.

Thin views: access (queries.get_session / session_to_edit, which ask outreach.permissions), form,
one call to outreach.planning.operations (or a page module for what a page shows: calendar_page,
list_page, session_page, print_page), respond. Every rule about what may be booked lives in the
operations and the pure modules.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach import clock, vocab
from outreach.input_limits import db_id, page_number
from outreach.field import log_view
from outreach.planning import bp, calendar_page, checks, mop_up, operations, print_page, queries, serialize, session_page
from outreach.planning.errors import ConflictsFound, Invisible, NotAllowed, NotFound, StaleSession, ValidationFailed
from outreach.vocab import region_label, session_kind_labels, session_status_labels, target_group_labels
from outreach.planning.list_page import list_filters
from outreach.regions import picker
from outreach.planning.parse import STATUS_ACTIONS, status_change_args
from outreach.planning.forms import PrintFilterForm, SessionFilterForm, SessionForm, StatusForm
from outreach.planning.workflow import EDITABLE
from outreach.security import any_role, public, roles_required
from outreach import permissions

PRINT_DEFAULT_DAYS = 30
PRINT_MAX_DAYS = 92


# ---------------------------------------------------------------- calendar

@bp.route("/kalender")
@any_role
def calendar():
    """Month or week calendar of a kecamatan (coordinator: its own) or of a team (field: its own)."""
    try:
        ctx = calendar_page.calendar_context(current_user, request.args, clock.local_today(),
                                            picker.select_max(current_app.config))
    except Invisible:
        abort(404)
    feed_url = area_feed_url = area_name = None
    if permissions.can_see_team_calendar(current_user, ctx.team):
        feed_url = url_for("planning.team_ical", team_id=ctx.team.id, secret=ctx.team.calendar_secret,
                           _external=True)
    if permissions.has_area_calendar(current_user) and current_user.calendar_secret:
        area_feed_url = url_for("planning.area_ical", user_id=current_user.id, secret=current_user.calendar_secret,
                                _external=True)
        area_name = _area_name(current_user)
    return render_template("planning/calendar.html", cal=ctx, feed_url=feed_url, area_feed_url=area_feed_url,
                           area_name=area_name,
                           can_plan=permissions.can_plan(current_user), status_labels=session_status_labels())


def _area_name(user) -> str:
    """'Kecamatan Satu', 'Kota Semarang', 'Jawa Tengah', or 'Semua wilayah' for a user without a bound."""
    scope = permissions.scope_of(user)
    if scope is None:
        return _("Semua wilayah")
    nama, kind = queries.region_info([scope]).get(scope, ("", ""))
    if kind == "kecamatan" and not nama.lower().startswith("kecamatan"):
        return _("Kecamatan %(name)s", name=nama)
    return region_label(nama, kind)


# ---------------------------------------------------------------- session list

@bp.route("/sesi")
@roles_required(*permissions.STAFF)
def session_list():
    form = SessionFilterForm(formdata=request.args)
    filters, args, area = list_filters(form, current_user, picker.select_max(current_app.config),
                                       picker.submitted_picks(request.args))
    page = queries.list_sessions(current_user, filters, page=page_number(request.args.get("page")),
                                 per_page=current_app.config.get("PER_PAGE", 50))
    names = queries.region_names({s.desa_kode for s in page.items})
    return render_template("planning/list.html", form=form, page=page, names=names, area=area,
                           filtered=any(v for v in args.values()), status_labels=session_status_labels(),
                           kind_labels=session_kind_labels(), can_plan=permissions.can_plan(current_user))


# ---------------------------------------------------------------- the session page

def _session_or_404(session_id: int):
    session = queries.get_session(current_user, session_id)
    if session is None:
        abort(404)
    return session


def _session_to_edit_or_404(session_id: int):
    """The session if the user may change it; 404 otherwise (a planner out of scope does not see it)."""
    try:
        return queries.session_to_edit(current_user, session_id)
    except (NotAllowed, NotFound):
        abort(404)


def _status_forms(session, posted=None):
    """A form per allowed status change, prefilled (the posted one keeps what was typed)."""
    forms = {}
    now = clock.local_now().strftime("%Y-%m-%dT%H:%M")
    for action, status in STATUS_ACTIONS.items():
        if posted is not None and posted[0] == action:
            forms[action] = posted[1]
            continue
        form = StatusForm(prefix=action, formdata=None)
        form.status.data, form.version.data = status, session.version
        if status == "terkonfirmasi":
            form.confirmed_with.data = session.confirmed_with or session.site.contact_name or ""
            form.confirmed_at.data = now
        if status == "ditunda":
            form.new_start.data = session.start_time.strftime("%H:%M")
            form.new_end.data = session.end_time.strftime("%H:%M")
        forms[action] = form
    forms["batal"].reason.flags.required = True
    forms["konfirmasi"].confirmed_with.flags.required = True
    forms["tunda"].new_date.flags.required = True
    return forms


def _render_session(session, *, posted=None, conflicts=None, code: int = 200):
    can_edit = permissions.can_edit_session(current_user, session)
    allowed = queries.allowed_status_targets(session) if can_edit else []
    regions = queries.region_info([session.desa_kode, session.kecamatan_kode, session.kabupaten_kode])
    site = session.site
    history = queries.session_history(session)
    logged = log_view.load_log_view(current_user, session)
    map_data = dict(session_page.map_settings(), lat=site.lat, lng=site.lng, approximate=site.coords_approximate,
                    label=site.nama, boundary=session_page.desa_boundary(session.desa_kode))
    return render_template(
        "planning/detail.html", s=session, regions=regions, can_edit=can_edit,
        editable=session.status in EDITABLE, allowed=allowed,
        actions={a: st for a, st in STATUS_ACTIONS.items() if st in allowed},
        forms=_status_forms(session, posted), open_action=posted[0] if posted else None,
        conflicts=conflicts or [], history=history, audit_names=queries.audit_names(history),
        announcement=serialize.announcement_for(session, regions), address=serialize.address_of(session, regions),
        map_data=map_data, status_labels=session_status_labels(), kind_labels=session_kind_labels(),
        group_labels=target_group_labels(), local_iso=session_page.local_iso, log=logged,
        mop_up_default=mop_up.absentees_from_log(logged.log.not_recorded if logged else None),
        not_recorded_labels=vocab.not_recorded_labels()), code


@bp.route("/sesi/<int:session_id>")
@any_role
def session_detail(session_id: int):
    return _render_session(_session_or_404(session_id))


@bp.route("/sesi/<int:session_id>/status", methods=["POST"])
@roles_required(*permissions.PLANNERS)
def session_status(session_id: int):
    """Confirm, postpone or cancel (the form's `aksi` says which)."""
    session = _session_to_edit_or_404(session_id)
    action = request.form.get("aksi", "")
    if action not in STATUS_ACTIONS:
        flash(_("Pilih perubahan status: konfirmasi, tunda, atau batalkan."), "error")
        return redirect(url_for("planning.session_detail", session_id=session.id))
    form = StatusForm(prefix=action)
    kwargs, errors = status_change_args(action, form)
    if errors:
        form.show_errors(errors)
        return _render_session(session, posted=(action, form), code=422)
    try:
        operations.change_status(current_user, session, STATUS_ACTIONS[action], **kwargs)
    except ValidationFailed as exc:
        form.show_errors(exc.errors)
        return _render_session(session, posted=(action, form), code=422)
    except ConflictsFound as exc:
        form.form_errors.append(exc.message)
        return _render_session(session, posted=(action, form), conflicts=exc.conflicts, code=409)
    except StaleSession as exc:
        flash(exc.message, "error")
        return redirect(url_for("planning.session_detail", session_id=session_id))
    flash({"terkonfirmasi": _("Sesi dikonfirmasi."), "ditunda": _("Sesi ditunda ke tanggal baru; jadwal lama "
                                                                   "tersimpan di riwayat."),
           "dibatalkan": _("Sesi dibatalkan.")}[STATUS_ACTIONS[action]], "success")
    return redirect(url_for("planning.session_detail", session_id=session_id))


# ---------------------------------------------------------------- create and edit

@bp.route("/sesi/baru", methods=["GET", "POST"])
@roles_required(*permissions.PLANNERS)
def new_session():
    """New session, prefilled from ?site=, ?desa=, ?date=, ?team= or a mop-up (?mop_up_of=&absentees=)."""
    form = SessionForm()
    proposal = None
    if request.method == "GET":
        if request.args.get("mop_up_of"):
            source = _session_to_edit_or_404(db_id(request.args.get("mop_up_of")) or 0)
            try:
                proposal = checks.propose_mop_up(source, request.args.get("absentees", ""))
            except ValidationFailed as exc:
                for message in exc.errors.values():
                    flash(message, "error")
                return redirect(url_for("planning.session_detail", session_id=source.id))
        session_page.prefill_new(form, current_user, request.args, proposal)
    return _session_form(form, None, proposal=proposal)


@bp.route("/sesi/<int:session_id>/ubah", methods=["GET", "POST"])
@roles_required(*permissions.PLANNERS)
def edit_session(session_id: int):
    session = _session_to_edit_or_404(session_id)
    if session.status not in EDITABLE:
        flash(_("Sesi berstatus %(status)s tidak dapat diubah lagi.",
                status=session_status_labels()[session.status]), "warning")
        return redirect(url_for("planning.session_detail", session_id=session.id))
    form = SessionForm()
    if request.method == "GET":
        session_page.prefill_edit(form, session)
    return _session_form(form, session)


def _session_form(form: SessionForm, session, proposal=None):
    desa = request.args.get("desa") if request.method == "GET" else None
    kits, lists = session_page.fill_session_choices(form, current_user, desa=desa,
                                                    kecamatan=request.args.get("kecamatan"),
                                                    submitted=request.form if request.method == "POST" else None)
    conflicts, estimate, code = [], None, 200
    alternatives = None
    # "Tampilkan" of the site's area lists: show the next list (and its sites, teams, kits); check nothing.
    if request.method == "POST" and "area_step" not in request.form:
        data = form.session_data()
        if form.check.data:
            result = checks.check_session(current_user, data, session=session)
            form.show_errors(result.errors)
            conflicts, estimate = result.conflicts, result.estimate
            if result.ok:
                flash(_("Jadwal dapat disimpan: tidak ada bentrok."), "success")
        else:
            try:
                saved = (operations.update_session(current_user, session, data, expected_version=form.version.data)
                         if session else operations.create_session(current_user, data))
            except ValidationFailed as exc:
                form.show_errors(exc.errors)
                code = 422
            except ConflictsFound as exc:
                conflicts, code = exc.conflicts, 409
            except StaleSession as exc:
                form.form_errors.append(exc.message)
                code = 409
            except NotAllowed:
                abort(404)
            else:
                flash(_("Sesi tersimpan.") if session else _("Sesi direncanakan."), "success")
                return redirect(url_for("planning.session_detail", session_id=saved.id))
    elif proposal is not None:
        conflicts = proposal.get("conflicts") or []
    if request.method == "POST" and conflicts:
        alternatives = checks.alternatives(current_user, form.session_data(), conflicts, session=session)
    return render_template("planning/form.html", form=form, session=session, conflicts=conflicts,
                           alternatives=alternatives,
                           estimate=estimate, proposal=proposal, kits=kits, lists=lists,
                           not_recorded_labels=vocab.not_recorded_labels() if proposal else {},
                           desa=desa, desa_name=queries.region_names([desa]).get(desa) if desa else None), code


# ---------------------------------------------------------------- printed schedule

@bp.route("/jadwal/cetak")
@any_role
def print_schedule():
    """A4 schedule of a kecamatan (or, for a field user, its team) for a period: for kades/lurah and schools."""
    form = PrintFilterForm(formdata=request.args)
    today = clock.local_today()
    first = calendar_page.parse_day(form.date_from.data, today)
    last = calendar_page.parse_day(form.date_to.data, first + timedelta(days=PRINT_DEFAULT_DAYS))
    if last < first:
        form.date_to.errors = [_("Tanggal akhir tidak boleh sebelum tanggal awal.")]
        last = first + timedelta(days=PRINT_DEFAULT_DAYS)
    if (last - first).days > PRINT_MAX_DAYS:
        form.date_to.errors = [_("Jadwal cetak paling panjang %(days)s hari.", days=PRINT_MAX_DAYS)]
        last = first + timedelta(days=PRINT_MAX_DAYS)
    form.date_from.data, form.date_to.data = first.isoformat(), last.isoformat()
    try:
        kecamatan, team, choices, area = print_page.print_focus(current_user, request.args, first, last,
                                                                picker.select_max(current_app.config))
    except Invisible:
        abort(404)
    form.kecamatan.choices = [("", _("Semua kecamatan"))] + choices if choices else []
    form.kecamatan.data = kecamatan
    sessions = []
    area_kode = print_page.area_without_kecamatan(kecamatan, team, area)
    if team is not None or kecamatan or area_kode:
        sessions = queries.sessions_between(current_user, first, last, team_id=team.id if team else None,
                                            kecamatan_kode=kecamatan, area_kode=area_kode,
                                            statuses=("rencana", "terkonfirmasi", "ditunda", "selesai"))
    regions = queries.region_info({kecamatan, area_kode} | {k for s in sessions for k in (
        s.desa_kode, s.kecamatan_kode, s.kabupaten_kode)})
    names = {kode: region_label(nama, kind) for kode, (nama, kind) in regions.items()}
    return render_template("planning/print.html", form=form, groups=print_page.schedule_by_desa(sessions, names),
                           area=area, first=first, last=last, kecamatan=kecamatan, team=team, names=names,
                           area_kode=area_kode,
                           address_of=lambda s: serialize.address_of(s, regions),
                           count=len(sessions), status_labels=session_status_labels(),
                           kind_labels=session_kind_labels(), group_labels=target_group_labels())


# ---------------------------------------------------------------- iCalendar feed

@bp.route("/kalender/tim/<int:team_id>/<secret>.ics")
@public
def team_ical(team_id: int, secret: str):
    """The team's sessions for a phone calendar; the secret link is the only key (rotating it revokes it)."""
    team = queries.team_by_secret(team_id, secret)
    if team is None:
        abort(404)
    sessions = queries.feed_sessions(team.id, clock.local_today())
    body = serialize.team_feed(team, sessions,
                               lambda sid: url_for("planning.session_detail", session_id=sid, _external=True),
                               current_app.config.get("CALENDAR_UID_DOMAIN", "jemput-bola"))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="jadwal-tim-{team.id}.ics"',
        "Cache-Control": "private, max-age=300"})


@bp.route("/kalender/wilayah/<int:user_id>/<secret>.ics")
@public
def area_ical(user_id: int, secret: str):
    """The sessions of a coordinator's, manager's or admin's area, every team's, for a phone calendar; the
    user's secret link is the only key (replaced by "Buat tautan baru" and whenever the user's logins end).
    A deactivated user's, a field user's or a wrong secret's link: 404."""
    user = queries.user_by_calendar_secret(user_id, secret)
    if user is None:
        abort(404)
    sessions = queries.area_feed_sessions(user, clock.local_today())
    body = serialize.area_feed(_area_name(user), sessions,
                               lambda sid: url_for("planning.session_detail", session_id=sid, _external=True),
                               current_app.config.get("CALENDAR_UID_DOMAIN", "jemput-bola"))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="jadwal-wilayah-{user.id}.ics"',
        "Cache-Control": "private, max-age=300"})


@bp.route("/kalender/wilayah/tautan-baru", methods=["POST"])
@roles_required(*permissions.STAFF)
def rotate_area_ical():
    """Replace the signed-in user's area calendar link (CSRF-checked like every POST): the old one stops
    answering at once."""
    operations.rotate_area_calendar_link(current_user)
    flash(_("Tautan kalender wilayah Anda diganti. Tautan lama tidak berlaku lagi; langganan di ponsel perlu "
            "diperbarui dengan tautan baru."), "success")
    return redirect(url_for("planning.calendar"))
