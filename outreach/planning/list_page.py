"""The session list page: the choices of its filter form and the filters it asks of queries.list_sessions."""
from __future__ import annotations

from flask_babel import gettext as _

from outreach import permissions
from outreach.planning import queries
from outreach.planning.errors import ValidationFailed
from outreach.vocab import session_status_labels
from outreach.planning.parse import SessionFilters, parse_filters
from outreach.planning.site_scope import own_kecamatan
from outreach.regions.choices import desa_choices, kecamatan_choices


def list_filters(form, user) -> tuple[SessionFilters, dict]:
    """Fill the choices of the session list's filter form; return the filters and the raw values
    (unreadable values get their message on the form and are ignored)."""
    from outreach.vocab import site_type_labels

    coordinator = permissions.is_coordinator(user)
    kecamatan = own_kecamatan(user) if coordinator else form.kecamatan.data
    form.kecamatan.choices = [("", _("Semua kecamatan"))] + ([] if coordinator else kecamatan_choices(user))
    form.desa.choices = [("", _("Semua desa/kelurahan"))] + (desa_choices(user, kecamatan) if kecamatan else [])
    form.site_type.choices = [("", _("Semua jenis"))] + list(site_type_labels().items())
    form.team_id.choices = [("", _("Semua tim"))] + [(str(t.id), t.nama) for t in queries.visible_teams(user)]
    form.status.choices = [("", _("Semua status"))] + list(session_status_labels().items())
    args = {"from": form.date_from.data, "to": form.date_to.data, "status": form.status.data,
            "team_id": form.team_id.data, "kecamatan": form.kecamatan.data, "desa": form.desa.data,
            "site_type": form.site_type.data}
    try:
        return parse_filters(args), args
    except ValidationFailed as exc:
        for key, message in exc.errors.items():
            target = {"from": form.date_from, "to": form.date_to}.get(key) or form._fields.get(key)
            if target is not None:
                target.errors = [message]
        return SessionFilters(), args
