"""Admin pages: home, users, teams, kits and API tokens. Admin role only."""
from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from outreach.admin import bp, service
from outreach.admin.forms import KitForm, PasswordResetForm, TeamForm, TokenForm, UserCreateForm, UserForm
from outreach.extensions import db
from outreach.input_limits import db_id, page_number
from outreach.models import ApiToken, Kit, Team, User
from outreach import permissions, vocab
from outreach.regions import picker
from outreach.security import roles_required

admin_only = roles_required(*permissions.ADMINS)
# Admin pages of other features, linked once they are registered (first endpoint found wins).
IMPORTS_ENDPOINTS = ("admin.imports_index", "admin.import_index")
JOBS_ENDPOINTS = ("jobs.admin_jobs",)


# ---------------------------------------------------------------- helpers

def _first_url(endpoints) -> str | None:
    for endpoint in endpoints:
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return None


def imports_url() -> str | None:
    """Link to the web imports (upload, preview, commit), for national admins."""
    return _first_url(IMPORTS_ENDPOINTS) if permissions.is_national_admin(current_user) else None


def jobs_url() -> str | None:
    """Link to the scheduled jobs page, for national admins."""
    return _first_url(JOBS_ENDPOINTS) if permissions.is_national_admin(current_user) else None


def audit_labels() -> dict:
    """The change log in words (outreach.vocab): kinds of object, actions, and each column an entry names."""
    return {
        "entity": {key: vocab.audit_entity_label(key, _) for key in vocab.AUDIT_ENTITY_LABELS},
        "action": {key: vocab.audit_action_label(key, _) for key in vocab.AUDIT_ACTION_LABELS},
        "field": lambda entity, column: vocab.audit_field_label(entity, column, _),
    }


@bp.context_processor
def admin_context():
    return {"admin_imports_url": imports_url, "admin_jobs_url": jobs_url}


def _apply_errors(form, exc: service.Invalid) -> None:
    """Attach the service's messages, translated, to the form's fields (or the form itself)."""
    for name, messages in exc.errors.items():
        texts = [_(m.msgid, **m.params) for m in messages]
        target = form._fields.get(name) if name else None
        if target is None:
            form.form_errors.extend(texts)
        else:
            target.errors = list(target.errors) + texts


def _user_or_404(user_id: int) -> User:
    """The account if the current admin manages it (outreach.permissions); 404 otherwise, as if absent."""
    user = db.session.get(User, user_id)
    if not permissions.can_manage_user(current_user, user):
        abort(404)
    return user


def _team_or_404(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None or not permissions.can_manage_area(current_user, team.office_kode):
        abort(404)
    return team


def _kit_or_404(kit_id: int) -> Kit:
    kit = db.session.get(Kit, kit_id)
    if kit is None or not permissions.can_manage_area(current_user, kit.office_kode):
        abort(404)
    return kit


def _page_number() -> int:
    return page_number(request.args.get("halaman"))


def _render_form(template: str, form, **context):
    """A form page; 422 when the submitted input was refused."""
    return render_template(template, form=form, **context), (422 if form.errors else 200)


def _team_choices(blank_label: str, office: str | None = None, keep=None, narrow: bool = False
                  ) -> list[tuple[str, str]]:
    """The team list of a form; `narrow`: only the teams of `office` (and `keep`, the one chosen)."""
    inactive = _("(nonaktif)")
    return [("", blank_label)] + [(i, nama if active else f"{nama} {inactive}")
                                  for i, nama, active in service.team_choices(current_user, office, keep, narrow)]


def _office_choices() -> list[tuple[str, str]]:
    return [("", _("— pilih kabupaten/kota —"))] + service.kabupaten_choices(current_user)


def _office_picker(form) -> picker.AreaPicker:
    """The office field of the team and kit forms: one select of the kabupaten/kota the admin manages, or,
    above AREA_SELECT_MAX of them (a national admin: 514), provinsi then kabupaten/kota (the stepwise picker,
    which keeps the current office chosen). The service checks the value either way."""
    area = picker.build_picker(current_user, {"kabupaten": "office_kode"}, {"kabupaten": form.office_kode.data or ""},
                               picker.select_max(current_app.config), picker.submitted_picks(request.form))
    form.office_kode.choices = [] if area.stepwise else _office_choices()
    return area


def _saving(form) -> bool:
    """A submitted form to save: not the stepwise picker's "Tampilkan" (which only shows the next list)."""
    return "area_step" not in request.form and form.validate_on_submit()


def _calendar_feed_url(team: Team):
    """The team's secret calendar link, when the planning feature serves one (a rule taking `secret`)."""
    for rule in current_app.url_map.iter_rules():
        if "secret" in rule.arguments and any(w in rule.endpoint for w in ("ical", "ics", "calendar", "kalender")):
            values = {"secret": team.calendar_secret}
            if "team_id" in rule.arguments:
                values["team_id"] = team.id
            if not rule.arguments <= set(values):
                continue
            try:
                return url_for(rule.endpoint, _external=True, **values)
            except BuildError:
                continue
    return None


# ---------------------------------------------------------------- home

@bp.route("/admin")
@admin_only
def index():
    return render_template("admin/index.html", imports_url=imports_url(), jobs_url=jobs_url(),
                           audit_labels=audit_labels(), **service.overview(current_user))


# ---------------------------------------------------------------- users

def _user_form_choices(form) -> picker.AreaPicker:
    """The user form's lists; returns the picker of the team's office. Above AREA_SELECT_MAX kabupaten/kota
    in the admin's scope the team list holds the teams of the office chosen there (and the current team)."""
    form.role.choices = vocab.choices_of("role")
    if "pilih_kabupaten" in request.form:
        office = request.form.get("pilih_kabupaten") or ""
    else:
        team_id = db_id(form.team_id.data)
        team = db.session.get(Team, team_id) if team_id is not None else None
        office = team.office_kode if team is not None else ""
    area = picker.build_picker(current_user, {"kabupaten": "pilih_kabupaten"}, {"kabupaten": office},
                               picker.select_max(current_app.config), picker.submitted_picks(request.form))
    form.team_id.choices = _team_choices(_("— tanpa tim —"), area.chosen("kabupaten"), form.team_id.data,
                                         narrow=area.stepwise)
    return area


def _user_data(form) -> service.UserData:
    return service.UserData(username=form.username.data, name=form.name.data, email=form.email.data,
                            role=form.role.data, scope_kode=form.scope_kode.data, team_id=form.team_id.data,
                            active=form.active.data)


@bp.route("/admin/pengguna")
@admin_only
def users():
    role = request.args.get("peran") or None
    q = request.args.get("q", "").strip()
    page = service.users_page(current_user, role, q, _page_number(), current_app.config["PER_PAGE"])
    return render_template("admin/users.html", page=page, role=role if role in vocab.ROLES else None, q=q, roles=vocab.ROLES)


@bp.route("/admin/pengguna/baru", methods=["GET", "POST"])
@admin_only
def user_new():
    form = UserCreateForm(role="field")
    team_area = _user_form_choices(form)
    if _saving(form):
        try:
            user = service.create_user(_user_data(form), form.password.data, current_user.id,
                                       password_confirm=form.password_confirm.data or "")
        except service.Invalid as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Pengguna %(username)s dibuat.", username=user.username), "success")
            return redirect(url_for(".users"))
    return _render_form("admin/user_form.html", form, user=None, team_area=team_area)


@bp.route("/admin/pengguna/<int:user_id>", methods=["GET", "POST"])
@admin_only
def user_edit(user_id):
    user = _user_or_404(user_id)
    form = UserForm(obj=user)
    if user.national and request.method == "GET":
        form.scope_kode.data = permissions.NATIONAL_SCOPE
    team_area = _user_form_choices(form)
    if _saving(form):
        try:
            changes = service.update_user(user, _user_data(form), current_user.id)
        except service.Invalid as exc:
            _apply_errors(form, exc)
        else:
            if changes:
                flash(_("Perubahan pengguna %(username)s disimpan.", username=user.username), "success")
            else:
                flash(_("Tidak ada perubahan."), "info")
            return redirect(url_for(".users"))
    return _render_form("admin/user_form.html", form, user=user, team_area=team_area)


@bp.route("/admin/pengguna/<int:user_id>/kata-sandi", methods=["GET", "POST"])
@admin_only
def user_password(user_id):
    user = _user_or_404(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            service.reset_password(user, form.password.data, current_user.id,
                                   password_confirm=form.password_confirm.data or "")
        except service.Invalid as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Kata sandi %(username)s telah diatur ulang.", username=user.username), "success")
            return redirect(url_for(".users"))
    return _render_form("admin/user_password.html", form, user=user)


# ---------------------------------------------------------------- API tokens

@bp.route("/admin/pengguna/<int:user_id>/token", methods=["GET", "POST"])
@admin_only
def user_tokens(user_id):
    user = _user_or_404(user_id)
    default_days = str(current_app.config["API_TOKEN_DAYS"])
    form = TokenForm(days=default_days)
    new_token, status = None, 200
    if form.validate_on_submit():
        try:
            _token, new_token = service.issue_token(user, form.name.data, form.days.data, current_user.id)
        except service.Invalid as exc:
            _apply_errors(form, exc)
            status = 422
        else:
            form = TokenForm(formdata=None, days=default_days)
    response = make_response(render_template("admin/user_tokens.html", user=user, form=form, new_token=new_token,
                                             tokens=service.tokens_of(user)), status)
    response.headers["Cache-Control"] = "no-store"  # the new token must not linger in a cache
    return response


@bp.route("/admin/token/<int:api_token_id>/cabut", methods=["POST"])
@admin_only
def token_revoke(api_token_id):
    token = db.get_or_404(ApiToken, api_token_id)
    if not permissions.can_manage_user(current_user, token.user):
        abort(404)
    if service.revoke_token(token, current_user.id):
        flash(_("Token %(prefix)s… dicabut; token itu tidak dapat dipakai lagi.", prefix=token.prefix), "success")
    else:
        flash(_("Token itu sudah dicabut sebelumnya."), "info")
    return redirect(url_for(".user_tokens", user_id=token.user_id))


# ---------------------------------------------------------------- teams

def _team_data(form) -> service.TeamData:
    return service.TeamData(nama=form.nama.data, office_kode=form.office_kode.data, office_lat=form.office_lat.data,
                            office_lng=form.office_lng.data, members=form.members.data, phone=form.phone.data,
                            active=form.active.data)


@bp.route("/admin/tim")
@admin_only
def teams():
    page = service.teams_page(current_user, _page_number(), current_app.config["PER_PAGE"])
    return render_template("admin/teams.html", page=page)


@bp.route("/admin/tim/baru", methods=["GET", "POST"])
@admin_only
def team_new():
    form = TeamForm()
    office_area = _office_picker(form)
    if _saving(form):
        try:
            team = service.create_team(_team_data(form), current_user.id)
        except service.Invalid as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Tim %(nama)s dibuat.", nama=team.nama), "success")
            return redirect(url_for(".teams"))
    return _render_form("admin/team_form.html", form, team=None, office_area=office_area)


@bp.route("/admin/tim/<int:team_id>", methods=["GET", "POST"])
@admin_only
def team_edit(team_id):
    team = _team_or_404(team_id)
    form = TeamForm(obj=team)
    office_area = _office_picker(form)
    if _saving(form):
        try:
            changes = service.update_team(team, _team_data(form), current_user.id)
        except service.Invalid as exc:
            _apply_errors(form, exc)
        else:
            if changes:
                flash(_("Perubahan tim %(nama)s disimpan.", nama=team.nama), "success")
            else:
                flash(_("Tidak ada perubahan."), "info")
            return redirect(url_for(".teams"))
    return _render_form("admin/team_form.html", form, team=team, calendar_url=_calendar_feed_url(team),
                        office_area=office_area)


@bp.route("/admin/tim/<int:team_id>/kalender", methods=["POST"])
@admin_only
def team_rotate_calendar(team_id):
    team = _team_or_404(team_id)
    service.rotate_calendar_secret(team, current_user.id)
    flash(_("Tautan kalender tim %(nama)s diganti; tautan lama tidak berlaku lagi.", nama=team.nama), "success")
    return redirect(url_for(".team_edit", team_id=team.id))


# ---------------------------------------------------------------- kits

def _kit_form_choices(form) -> picker.AreaPicker:
    """The kit form's lists; returns the office picker."""
    form.status.choices = vocab.choices_of("kit_status")
    area = _office_picker(form)
    form.team_id.choices = _team_choices(_("— tanpa tim asal —"), area.chosen("kabupaten"), form.team_id.data,
                                         narrow=area.stepwise)
    return area


def _kit_data(form) -> service.KitData:
    return service.KitData(code=form.code.data, status=form.status.data, office_kode=form.office_kode.data,
                           team_id=form.team_id.data, notes=form.notes.data)


@bp.route("/admin/kit")
@admin_only
def kits():
    status = request.args.get("status") or None
    page = service.kits_page(current_user, status, _page_number(), current_app.config["PER_PAGE"])
    return render_template("admin/kits.html", page=page, status=status if status in vocab.KIT_STATUSES else None,
                           statuses=vocab.KIT_STATUSES)


@bp.route("/admin/kit/baru", methods=["GET", "POST"])
@admin_only
def kit_new():
    form = KitForm(status="ok")
    office_area = _kit_form_choices(form)
    if _saving(form):
        try:
            kit = service.create_kit(_kit_data(form), current_user.id)
        except service.Invalid as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Kit %(code)s dibuat.", code=kit.code), "success")
            return redirect(url_for(".kits"))
    return _render_form("admin/kit_form.html", form, kit=None, office_area=office_area)


@bp.route("/admin/kit/<int:kit_id>", methods=["GET", "POST"])
@admin_only
def kit_edit(kit_id):
    kit = _kit_or_404(kit_id)
    form = KitForm(obj=kit)
    office_area = _kit_form_choices(form)
    if _saving(form):
        try:
            changes = service.update_kit(kit, _kit_data(form), current_user.id)
        except service.Invalid as exc:
            _apply_errors(form, exc)
        else:
            if changes:
                flash(_("Perubahan kit %(code)s disimpan.", code=kit.code), "success")
            else:
                flash(_("Tidak ada perubahan."), "info")
            return redirect(url_for(".kits"))
    return _render_form("admin/kit_form.html", form, kit=kit, office_area=office_area)
