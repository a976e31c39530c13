"""Forms of the site pages. Field values are validated by outreach.sites.rules (via save_site), not here:
fields are plain text so that whatever was typed comes back unchanged next to its message."""
from outreach.i18n import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, Choice, SearchField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.widgets import Select, html_params

from outreach.models import JENJANG_CHOICES

# Form fields handed to save_site (the names of outreach.sites.rules.FIELDS).
SITE_FIELDS = ("type", "nama", "desa_kode", "lat", "lng", "rt", "rw", "address", "npsn", "jenjang", "school_status",
               "contact_name", "contact_phone", "notes", "pemilih_pemula", "coords_approximate", "unavailable_dates")


class GroupedSelect(Select):
    """A <select> with a leading empty option, then <optgroup>s (choices given as a dict)."""

    def __init__(self, empty_label=""):
        super().__init__()
        self.empty_label = empty_label

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        html = [f"<select {html_params(name=field.name, **kwargs)}>",
                f'<option value="">{escape(str(self.empty_label))}</option>']
        selected_known = False
        for group, choices in (field.iter_groups() if field.choices else ()):
            html.append(f"<optgroup {html_params(label=str(group))}>")
            for choice in choices:
                selected_known = selected_known or choice.selected
                html.append(self.render_option(choice))
            html.append("</optgroup>")
        if field.data and not selected_known:  # keep an unknown submitted value visible rather than lose it
            html.append(self.render_option(Choice(value=field.data, label=field.data, selected=True, render_kw=None)))
        html.append("</select>")
        return Markup("".join(html))


class SiteForm(FlaskForm):
    type = SelectField(_l("Jenis lokasi"), choices=[], validate_choice=False)
    nama = StringField(_l("Nama lokasi"), render_kw={"maxlength": 200})
    desa_kode = SelectField(_l("Desa/kelurahan"), choices={}, validate_choice=False,
                            widget=GroupedSelect(_l("— pilih desa/kelurahan —")))
    rt = StringField(_l("RT"), render_kw={"inputmode": "numeric", "maxlength": 3})
    rw = StringField(_l("RW"), render_kw={"inputmode": "numeric", "maxlength": 3})
    address = StringField(_l("Alamat"), render_kw={"maxlength": 300})
    lat = StringField(_l("Lintang (lat)"), render_kw={"inputmode": "decimal", "placeholder": "-7.0051"})
    lng = StringField(_l("Bujur (lng)"), render_kw={"inputmode": "decimal", "placeholder": "110.4381"})
    coords_approximate = BooleanField(_l("Koordinat perkiraan (belum dipastikan di lapangan)"))
    contact_name = StringField(_l("Narahubung (ketua RT, kades/lurah, kepala sekolah)"), render_kw={"maxlength": 120})
    contact_phone = StringField(_l("Telepon narahubung"), render_kw={"inputmode": "tel", "maxlength": 40})
    npsn = StringField(_l("NPSN"), render_kw={"maxlength": 8})
    jenjang = SelectField(_l("Jenjang"), choices=[("", "—")] + [(j, j) for j in JENJANG_CHOICES],
                          validate_choice=False)
    school_status = SelectField(_l("Status sekolah"),
                                choices=[("", "—"), ("negeri", _l("Negeri")), ("swasta", _l("Swasta"))],
                                validate_choice=False)
    pemilih_pemula = StringField(_l("Jumlah pemilih pemula"), render_kw={"inputmode": "numeric"},
                                 description=_l("Siswa yang berusia 17 tahun pada hari pemungutan suara."))
    notes = TextAreaField(_l("Catatan"), render_kw={"rows": 2, "maxlength": 2000})
    unavailable_dates = StringField(
        _l("Tanggal tidak bisa dipakai"),
        description=_l("Mis. libur sekolah: 2026-12-20..2027-01-02, 2027-02-14. Usulan jadwal menghindari tanggal ini."))
    submit = SubmitField(_l("Simpan"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("type", "nama", "desa_kode", "lat", "lng"):  # marked with *; checked by the rules
            self[name].flags.required = True

    def site_data(self) -> dict:
        """The raw values for save_site."""
        return {name: self[name].data for name in SITE_FIELDS}

    def show_errors(self, errors: dict) -> None:
        """Put save_site's messages next to their fields (unknown fields become form-level errors)."""
        for name, message in errors.items():
            if name in self._fields:
                self[name].errors = [message]
            else:
                self.form_errors.append(message)


class SiteFilterForm(FlaskForm):
    """Filters of the site list (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    kecamatan = SelectField(_l("Kecamatan"), choices=[], validate_choice=False)
    desa = SelectField(_l("Desa/kelurahan"), choices=[], validate_choice=False)
    type = SelectField(_l("Jenis"), choices=[], validate_choice=False)
    q = SearchField(_l("Cari"), render_kw={"placeholder": _l("Nama, alamat, narahubung, NPSN")})
