"""Filters of the map pages (GET forms: no CSRF token). maps.js applies changes without reloading."""
from outreach.i18n import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import Optional as OptionalValue
from wtforms.widgets import CheckboxInput, ListWidget

from outreach.sites.forms import GroupedSelect


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MapFilterForm(FlaskForm):
    class Meta:
        csrf = False

    area = SelectField(_l("Wilayah"), choices={}, validate_choice=False,
                       widget=GroupedSelect(empty_label=_l("Seluruh wilayah tugas")))
    metric = RadioField(_l("Warnai menurut"), default="percent_recorded", validate_choice=False,
                        choices=[("percent_recorded", _l("Persen terekam")),
                                 ("reachable_backlog", _l("Sisa terjangkau"))])
    date_from = DateField(_l("Sesi dari"), validators=[OptionalValue()])
    date_to = DateField(_l("sampai"), validators=[OptionalValue()])
    status = CheckboxList(_l("Status sesi"), validate_choice=False,
                          choices=[("upcoming", _l("Akan datang")), ("done", _l("Selesai")),
                                   ("overdue", _l("Terlambat (log belum diisi)")), ("cancelled", _l("Dibatalkan"))])
    type = SelectField(_l("Jenis lokasi"), choices=[], validate_choice=False)
