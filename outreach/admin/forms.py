"""Admin forms. They gather input; outreach.admin.service checks it and gives the messages."""
from outreach.i18n import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField, TextAreaField


class Required:
    """Marks a field as required (asterisk in the form); the service checks the value itself."""
    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


def optional_str(value) -> str:
    """Coerce for SelectFields holding optional ids: None becomes '' rather than 'None'."""
    return "" if value is None else str(value)


# The password rule of outreach.auth.passwords, as the forms explain it.
PASSWORD_HINT = _l("Minimal 8 karakter (12 untuk admin); bukan kata sandi umum atau nama pengguna.")


class UserForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[Required()],
                           description=_l("3–64 karakter: huruf, angka, titik, garis bawah atau tanda hubung."))
    name = StringField(_l("Nama lengkap"))
    email = StringField(_l("Email"))
    role = SelectField(_l("Peran"), validators=[Required()], validate_choice=False)
    scope_kode = StringField(_l("Kode wilayah cakupan"),
                             description=_l("Koordinator: kode kecamatan (mis. 33.74.01). Manajer: nasional (kantor "
                                            "pusat, semua provinsi), 33 (provinsi) atau kode kabupaten/kota (mis. "
                                            "33.74). Admin: kosongkan untuk admin nasional, atau kode wilayah untuk "
                                            "admin wilayah itu."))
    team_id = SelectField(_l("Tim"), coerce=optional_str, validate_choice=False,
                          description=_l("Wajib untuk pengguna tim lapangan."))
    active = BooleanField(_l("Aktif (dapat masuk)"), default=True)
    submit = SubmitField(_l("Simpan"))


class UserCreateForm(UserForm):
    password = PasswordField(_l("Kata sandi"), validators=[Required()],
                             description=PASSWORD_HINT)
    password_confirm = PasswordField(_l("Ulangi kata sandi"), validators=[Required()])


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("Kata sandi baru"), validators=[Required()],
                             description=PASSWORD_HINT)
    password_confirm = PasswordField(_l("Ulangi kata sandi baru"), validators=[Required()])
    submit = SubmitField(_l("Atur ulang kata sandi"))


class TeamForm(FlaskForm):
    nama = StringField(_l("Nama tim"), validators=[Required()])
    office_kode = SelectField(_l("Kantor (kabupaten/kota)"), validators=[Required()], coerce=optional_str,
                              validate_choice=False)
    office_lat = StringField(_l("Lintang kantor"), description=_l("Mis. -6.9932 (boleh dikosongkan)."))
    office_lng = StringField(_l("Bujur kantor"), description=_l("Mis. 110.4203 (boleh dikosongkan)."))
    members = TextAreaField(_l("Anggota"), description=_l("Satu nama per baris."), render_kw={"rows": 5})
    phone = StringField(_l("Telepon"))
    active = BooleanField(_l("Aktif"), default=True)
    submit = SubmitField(_l("Simpan"))


class KitForm(FlaskForm):
    code = StringField(_l("Kode kit"), validators=[Required()])
    status = SelectField(_l("Status"), validators=[Required()], validate_choice=False)
    office_kode = SelectField(_l("Kantor (kabupaten/kota)"), validators=[Required()], coerce=optional_str,
                              validate_choice=False)
    team_id = SelectField(_l("Tim asal"), coerce=optional_str, validate_choice=False)
    notes = TextAreaField(_l("Catatan"), render_kw={"rows": 3})
    submit = SubmitField(_l("Simpan"))


class TokenForm(FlaskForm):
    name = StringField(_l("Keterangan"), description=_l("Untuk apa token ini, mis. \"aplikasi lapangan\"."))
    days = StringField(_l("Masa berlaku (hari)"), validators=[Required()],
                       description=_l("0 = tanpa batas waktu."))
    submit = SubmitField(_l("Terbitkan token"))
