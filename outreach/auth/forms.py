from outreach.i18n import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(_l("Nama pengguna wajib diisi.")), Length(max=64)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(_l("Kata sandi wajib diisi.")), Length(max=200)])
    remember = BooleanField(_l("Ingat saya di perangkat ini"))
    submit = SubmitField(_l("Masuk"))


class EmptyForm(FlaskForm):
    """For POST-only buttons: carries just the CSRF token."""
    submit = SubmitField(_l("Kirim"))
