"""Translated labels of the planning enumerations (session status, session kind, target group) and
of region kinds in a place name, kept together until they join the shared vocabulary."""
from __future__ import annotations

from flask_babel import gettext

from outreach.i18n import gettext_here as _


def status_labels() -> dict[str, str]:
    return {"rencana": _("Rencana"), "terkonfirmasi": _("Terkonfirmasi"), "selesai": _("Selesai"),
            "dibatalkan": _("Dibatalkan"), "ditunda": _("Ditunda")}


def kind_labels() -> dict[str, str]:
    return {"perekaman": _("Perekaman"), "sosialisasi": _("Sosialisasi"),
            "keduanya": _("Perekaman dan sosialisasi")}


def target_group_labels() -> dict[str, str]:
    """Labels of a session's target groups: the recorded groups of outreach.vocab."""
    from outreach import vocab

    return vocab.recorded_group_labels()


def region_label(nama: str, kind: str) -> str:
    """'Kelurahan Meteseh', 'Kota Semarang' (the name alone for a kecamatan, whose label is added by the page)."""
    prefix = {"desa": gettext("Desa"), "kelurahan": gettext("Kelurahan"), "kota": gettext("Kota"),
              "kabupaten": gettext("Kabupaten")}.get(kind)
    if not prefix or nama.lower().startswith(prefix.lower()):
        return nama
    return f"{prefix} {nama}"
