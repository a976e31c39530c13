"""The session list page: the choices of its filter form and the filters it asks of queries.list_sessions."""
from __future__ import annotations

from typing import Mapping, Optional

from flask_babel import gettext as _

from outreach import permissions
from outreach.planning.errors import ValidationFailed
from outreach.vocab import session_status_labels
from outreach.planning.parse import SessionFilters, parse_filters
from outreach.planning.site_scope import area_teams, own_kecamatan
from outreach.regions import picker
from outreach.regions.choices import desa_choices, kecamatan_choices


def list_filters(form, user, area_limit: int = picker.DEFAULT_SELECT_MAX,
                 picks: Optional[Mapping] = None) -> tuple[SessionFilters, dict, picker.AreaPicker]:
    """Fill the choices of the session list's filter form; return the filters, the raw values (unreadable
    values get their message on the form and are ignored) and the area picker (stepwise for a scope with
    more kecamatan than `area_limit`; `picks` are its submitted helper lists)."""
    from outreach.vocab import site_type_labels

    coordinator = permissions.is_coordinator(user)
    area = picker.build_picker(user, {"kecamatan": "kecamatan", "desa": "desa"},
                               {"kecamatan": form.kecamatan.data, "desa": form.desa.data}, area_limit, picks)
    if area.stepwise:  # what the lists show: a desa outside its kecamatan or a changed kabupaten drops out
        form.kecamatan.data, form.desa.data = area.chosen("kecamatan"), area.chosen("desa")
    else:
        kecamatan = own_kecamatan(user) if coordinator else form.kecamatan.data
        form.kecamatan.choices = [("", _("Semua kecamatan"))] + ([] if coordinator else kecamatan_choices(user))
        form.desa.choices = [("", _("Semua desa/kelurahan"))] + (desa_choices(user, kecamatan) if kecamatan else [])
    form.site_type.choices = [("", _("Semua jenis"))] + list(site_type_labels().items())
    teams = area_teams(user, area, area.deepest() or None, form.team_id.data)
    form.team_id.choices = [("", _("Semua tim"))] + [(str(t.id), t.nama) for t in teams]
    form.status.choices = [("", _("Semua status"))] + list(session_status_labels().items())
    args = {"from": form.date_from.data, "to": form.date_to.data, "status": form.status.data,
            "team_id": form.team_id.data, "kecamatan": form.kecamatan.data, "desa": form.desa.data,
            "site_type": form.site_type.data}
    try:
        filters = parse_filters(args)
        if area.stepwise:
            filters.provinsi_kode = area.chosen("provinsi") or None
            filters.kabupaten_kode = area.chosen("kabupaten") or None
        return filters, args, area
    except ValidationFailed as exc:
        for key, message in exc.errors.items():
            target = {"from": form.date_from, "to": form.date_to}.get(key) or form._fields.get(key)
            if target is not None:
                target.errors = [message]
        return SessionFilters(), args, area
