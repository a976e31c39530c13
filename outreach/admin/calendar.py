"""Admin: the planning calendar (a year's days off: the holidays package's and the admin's entries).

An unscoped admin manages national entries and every kabupaten/kota's; an admin with a region
manages its own kabupaten/kota's entries and sees the national ones. The rules are in
outreach.planning.calendar_rules, the queries and writes in outreach.planning.calendar.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from outreach.i18n import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField

from outreach import clock
from outreach.admin import bp
from outreach.admin.forms import Required, optional_str
from outreach.planning import calendar as planning_calendar
from outreach.planning import calendar_rules as rules
from outreach import permissions
from outreach.security import roles_required
from outreach.permissions import scope_of

admin_only = roles_required(*permissions.ADMINS)
_DATE = {"type": "date"}


class CalendarEntryForm(FlaskForm):
    kind = SelectField(_l("Jenis hari"), validators=[Required()], validate_choice=False)
    first = StringField(_l("Tanggal mulai"), validators=[Required()], render_kw=_DATE)
    last = StringField(_l("Tanggal akhir"), render_kw=_DATE,
                       description=_l("Kosongkan untuk satu hari. Masa ujian sekolah: hari terakhir ujian."))
    name = StringField(_l("Nama"), validators=[Required()],
                       description=_l("Mis. \"Hari jadi Kota Semarang\" atau \"Ujian akhir semester SMA/SMK\"."))
    region_kode = SelectField(_l("Kabupaten/kota"), coerce=optional_str, validate_choice=False,
                              description=_l("Kosong: berlaku nasional. Libur daerah dan masa ujian sekolah wajib "
                                             "memilih kabupaten/kota; hari pemungutan suara: kosong untuk pemilu "
                                             "nasional, kabupaten/kota untuk pilkada."))
    replaces_date = StringField(_l("Menggantikan tanggal paket"), render_kw=_DATE,
                                description=_l("Hanya untuk mengoreksi paket holidays: tanggal libur lama yang "
                                               "dipindahkan ke tanggal di atas (mis. Idul Adha yang ternyata jatuh "
                                               "sehari lebih awal)."))
    submit = SubmitField(_l("Simpan"))


class DeleteForm(FlaskForm):
    """The delete button's empty form: the CSRF token only."""


def kind_labels() -> dict[str, str]:
    """The translated label of each entry kind."""
    return {k: _(label) for k, label in rules.KIND_LABELS.items()}


def _scope() -> Optional[str]:
    """The signed-in admin's region (None: unscoped)."""
    return scope_of(current_user)


def _year() -> int:
    """The year asked for (`tahun`), else this year."""
    raw = request.args.get("tahun", "")
    if raw.isdigit() and rules.FIRST_YEAR <= int(raw) <= rules.LAST_YEAR:
        return int(raw)
    return clock.local_today().year


def _choices(form: CalendarEntryForm) -> None:
    """The kinds and the kabupaten/kota the admin may choose."""
    labels = kind_labels()
    form.kind.choices = [(k, labels[k]) for k in rules.ENTRY_KINDS]
    blank = _("— nasional (semua wilayah) —") if _scope() is None else _("— pilih kabupaten/kota —")
    form.region_kode.choices = [("", blank)] + planning_calendar.kabupaten_choices(_scope())


def _raw(form: CalendarEntryForm) -> dict:
    """The form's values as the operations take them."""
    return {name: getattr(form, name).data for name in ("kind", "first", "last", "name", "region_kode", "replaces_date")}


def _apply_errors(form: CalendarEntryForm, exc: planning_calendar.Invalid) -> None:
    """The rules' messages, translated, on their fields (the values typed stay in the form)."""
    for problem in exc.problems:
        target = form._fields.get(problem.field)
        text = _(problem.msgid, **problem.params)
        if target is None:
            form.form_errors.append(text)
        else:
            target.errors = list(target.errors) + [text]


def _render(form, entry=None):
    return render_template("admin/calendar_form.html", form=form, entry=entry), (422 if form.errors else 200)


def _back(day: Optional[date]):
    return redirect(url_for(".calendar", tahun=(day or clock.local_today()).year))


def _prefill(form: CalendarEntryForm) -> None:
    """A new entry's form from the list's links: a day (`tanggal`), a kind (`jenis`), or a package day to
    correct (`menggantikan`: the same kind and name, moved)."""
    form.kind.data = request.args.get("jenis") if request.args.get("jenis") in rules.ENTRY_KINDS else None
    form.first.data = request.args.get("tanggal", "")
    replaced = rules.parse_day(request.args.get("menggantikan"), "replaces_date", [], required=False)
    if replaced is not None:
        for day, kind, name in planning_calendar.package_between(replaced, replaced):
            form.kind.data, form.name.data, form.replaces_date.data = kind, name, day.isoformat()


@bp.route("/admin/kalender")
@admin_only
def calendar():
    year = _year()
    kind = request.args.get("jenis") or None
    rows = planning_calendar.year_rows(_scope(), year, kind)
    return render_template("admin/calendar.html", rows=rows, year=year, kind=kind if kind in rules.ENTRY_KINDS else None,
                           kinds=kind_labels(), scope=_scope(), delete_form=DeleteForm(),
                           may_manage=lambda region_kode: rules.may_manage(region_kode, _scope()))


@bp.route("/admin/kalender/baru", methods=["GET", "POST"])
@admin_only
def calendar_new():
    form = CalendarEntryForm()
    _choices(form)
    if request.method == "GET":
        _prefill(form)
    if form.validate_on_submit():
        try:
            entry = planning_calendar.create_entry(current_user, _raw(form), _scope())
        except planning_calendar.Invalid as exc:
            _apply_errors(form, exc)
        else:
            flash(_("%(kind)s \"%(name)s\" disimpan.", kind=kind_labels()[entry.kind], name=entry.name), "success")
            return _back(entry.first_date)
    return _render(form)


def _managed_entry(entry_id: int):
    """The entry when the admin may change it: 404 when outside its region, 403 for a national one."""
    entry = planning_calendar.visible_entry(_scope(), entry_id)
    if entry is None:
        abort(404)
    if not rules.may_manage(entry.region_kode, _scope()):
        abort(403)
    return entry


@bp.route("/admin/kalender/<int:entry_id>", methods=["GET", "POST"])
@admin_only
def calendar_edit(entry_id):
    entry = _managed_entry(entry_id)
    form = CalendarEntryForm(data={
        "kind": entry.kind, "first": entry.first_date.isoformat(),
        "last": entry.last_date.isoformat() if entry.last_date != entry.first_date else "", "name": entry.name,
        "region_kode": entry.region_kode, "replaces_date": entry.replaces_date.isoformat() if entry.replaces_date else ""})
    _choices(form)
    if form.validate_on_submit():
        try:
            changes = planning_calendar.update_entry(current_user, entry, _raw(form), _scope())
        except planning_calendar.Invalid as exc:
            _apply_errors(form, exc)
        else:
            if changes:
                flash(_("Perubahan \"%(name)s\" disimpan.", name=entry.name), "success")
            else:
                flash(_("Tidak ada perubahan."), "info")
            return _back(entry.first_date)
    return _render(form, entry)


@bp.route("/admin/kalender/<int:entry_id>/hapus", methods=["POST"])
@admin_only
def calendar_delete(entry_id):
    entry = _managed_entry(entry_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    day, name = entry.first_date, entry.name
    planning_calendar.delete_entry(current_user, entry, _scope())
    flash(_("\"%(name)s\" dihapus dari kalender.", name=name), "success")
    return _back(day)
