"""Forms of the region browser."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SubmitField
from wtforms.validators import Length


class RegionSearchForm(FlaskForm):
    """Search regions by name or code (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Cari wilayah"), validators=[Length(max=120)],
                    render_kw={"placeholder": _l("Nama atau kode, mis. Mugassari atau 33.74.01"),
                               "autocomplete": "off"})
    submit = SubmitField(_l("Cari"))
