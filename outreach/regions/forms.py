"""Forms of the region browser."""
from outreach.i18n import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SearchField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length


class RegionSearchForm(FlaskForm):
    """Search regions by name or code (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Cari wilayah"), validators=[Length(max=120)],
                    render_kw={"placeholder": _l("Nama atau kode, mis. Mugassari atau 33.74.01"),
                               "autocomplete": "off"})
    submit = SubmitField(_l("Cari"))


class RefuserFollowupForm(FlaskForm):
    """Residents who refused to record, followed up by the coordinator: back into the reachable backlog."""
    count = IntegerField(_l("Jumlah warga"), validators=[InputRequired(_l("Isi jumlah warga."))])
    followed_on = DateField(_l("Tanggal tindak lanjut"), validators=[InputRequired(_l("Isi tanggal tindak lanjut."))])
    note = TextAreaField(_l("Catatan (mis. sudah dibujuk lewat ketua RT, bersedia pada sesi berikutnya)"),
                         validators=[Length(max=500)])
    submit = SubmitField(_l("Simpan tindak lanjut"))
