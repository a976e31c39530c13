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


class PasswordChangeForm(FlaskForm):
    """The user's own new password (outreach.auth.operations checks it with the password rule)."""
    current_password = PasswordField(_l("Kata sandi saat ini"), validators=[Length(max=200)])
    password = PasswordField(_l("Kata sandi baru"), validators=[Length(max=200)],
                             description=_l("Minimal 8 karakter (12 untuk admin); bukan kata sandi umum atau nama "
                                            "pengguna."))
    password_confirm = PasswordField(_l("Ulangi kata sandi baru"), validators=[Length(max=200)])
    submit = SubmitField(_l("Ganti kata sandi"))
