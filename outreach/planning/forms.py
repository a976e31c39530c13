"""Forms of the planning pages. Values are checked by outreach.planning.parse (Indonesian messages per
field), not here: fields are plain text so whatever was typed comes back unchanged next to its message."""
from outreach.i18n import lazy_gettext as _l
from outreach.i18n import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from outreach.sites.forms import GroupedSelect

# Form fields handed to the operations as `data` (the names of parse.parse_session_data).
SESSION_FIELDS = ("site_id", "date", "end_date", "start", "end", "team_id", "kit_ids", "kind", "target_groups",
                  "notes", "override_reason")


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (kits, target groups)."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _show_errors(form, errors: dict) -> None:
    for name, message in errors.items():
        if name in form._fields:
            form[name].errors = [message]
        else:
            form.form_errors.append(message)


class SessionForm(FlaskForm):
    site_id = SelectField(lazy_pgettext("satu lokasi", "Lokasi"), choices={}, validate_choice=False,
                          widget=GroupedSelect(_l("— pilih lokasi —")))
    date = StringField(_l("Tanggal"), render_kw={"type": "date"})
    end_date = StringField(_l("Sampai tanggal (sesi beberapa hari)"), render_kw={"type": "date"},
                           description=_l("Kosongkan untuk sesi satu hari. Paling lama 7 hari."))
    start = StringField(_l("Jam mulai"), render_kw={"type": "time"})
    end = StringField(_l("Jam selesai"), render_kw={"type": "time"})
    team_id = SelectField(_l("Tim"), choices=[], validate_choice=False)
    kit_ids = MultiCheckboxField(_l("Alat perekam"), choices=[], validate_choice=False, coerce=str)
    kind = SelectField(_l("Jenis kegiatan"), choices=[], validate_choice=False)
    target_groups = MultiCheckboxField(_l("Sasaran"), choices=[], validate_choice=False, coerce=str)
    notes = TextAreaField(_l("Catatan"), render_kw={"rows": 2, "maxlength": 2000})
    override_reason = TextAreaField(
        _l("Alasan mengabaikan peringatan"), render_kw={"rows": 2, "maxlength": 2000},
        description=_l("Isi hanya bila jadwal memunculkan peringatan (hari libur, akhir pekan, jeda perjalanan, "
                       "alat diservis) dan sesi tetap perlu diadakan."))
    version = HiddenField()
    mop_up_of_id = HiddenField()
    absentees = HiddenField()
    check = SubmitField(_l("Periksa jadwal"))
    submit = SubmitField(_l("Simpan"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("site_id", "date", "start", "end", "team_id"):
            self[name].flags.required = True

    def session_data(self) -> dict:
        data = {name: self[name].data for name in SESSION_FIELDS}
        data["kit_ids"] = [v for v in (self.kit_ids.data or []) if v]
        data["target_groups"] = [v for v in (self.target_groups.data or []) if v]
        if self.mop_up_of_id.data:
            data["mop_up_of_id"] = self.mop_up_of_id.data
            data["absentees"] = self.absentees.data
        return data

    def show_errors(self, errors: dict) -> None:
        _show_errors(self, errors)


class StatusForm(FlaskForm):
    """One form for every status change; the `status` field says which (fields unused by it are ignored)."""
    status = HiddenField()
    version = HiddenField()
    confirmed_with = StringField(_l("Dikonfirmasi dengan"), render_kw={"maxlength": 120},
                                 description=_l("Nama dan jabatan kontak di lokasi, mis. Pak Slamet (Ketua RW 05)."))
    confirmed_at = StringField(_l("Waktu konfirmasi"), render_kw={"type": "datetime-local"})
    reason = TextAreaField(_l("Alasan"), render_kw={"rows": 2, "maxlength": 2000})
    new_date = StringField(_l("Tanggal baru"), render_kw={"type": "date"})
    new_end_date = StringField(_l("Sampai tanggal (baru)"), render_kw={"type": "date"})
    new_start = StringField(_l("Jam mulai baru"), render_kw={"type": "time"})
    new_end = StringField(_l("Jam selesai baru"), render_kw={"type": "time"})
    override_reason = TextAreaField(_l("Alasan mengabaikan peringatan"), render_kw={"rows": 2, "maxlength": 2000})

    def show_errors(self, errors: dict) -> None:
        _show_errors(self, errors)


class SessionFilterForm(FlaskForm):
    """Filters of the session list (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    kecamatan = SelectField(_l("Kecamatan"), choices=[], validate_choice=False)
    desa = SelectField(_l("Desa/kelurahan"), choices=[], validate_choice=False)
    site_type = SelectField(_l("Jenis lokasi"), choices=[], validate_choice=False)
    team_id = SelectField(_l("Tim"), choices=[], validate_choice=False)
    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    date_from = StringField(_l("Dari tanggal"), name="from", render_kw={"type": "date"})
    date_to = StringField(_l("Sampai tanggal"), name="to", render_kw={"type": "date"})


class PrintFilterForm(FlaskForm):
    """Kecamatan and period of the printed schedule (GET)."""

    class Meta:
        csrf = False

    kecamatan = SelectField(_l("Kecamatan"), choices=[], validate_choice=False)
    date_from = StringField(_l("Dari tanggal"), name="from", render_kw={"type": "date"})
    date_to = StringField(_l("Sampai tanggal"), name="to", render_kw={"type": "date"})
