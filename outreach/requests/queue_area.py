"""The request queue's desa filter: one select of the desa that have requests for a small scope, the
stepwise area picker (outreach/regions/picker.py) for a scope with more desa than AREA_SELECT_MAX, which
also filters by the kabupaten or kecamatan chosen above an empty desa."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from outreach.regions import picker


@dataclass
class DesaFilter:
    area: picker.AreaPicker
    desa: str  # the desa value the form keeps (a bad one stays, for the form to refuse)
    desa_options: list  # [(kode, nama)] the stepwise desa list offers (empty for a flat picker)
    region: str = ""  # the deepest kabupaten/kecamatan chosen when no desa is


def desa_filter(user, raw_desa: str, limit: int, picks: Mapping[str, str]) -> DesaFilter:
    """The picker of the queue's `desa` filter holding `raw_desa`, with `picks` its submitted helper lists."""
    area = picker.build_picker(user, {"desa": "desa"}, {"desa": raw_desa}, limit, picks)
    if not area.stepwise:
        return DesaFilter(area=area, desa=raw_desa, desa_options=[])
    # an existing desa of the scope follows the lists (dropped when a list above it changed)
    desa = area.chosen("desa") if not raw_desa or picker.check_choice(user, raw_desa, "desa") is None else raw_desa
    options = next((s.options for s in area.steps if s.level == "desa"), [])
    region = area.chosen("kecamatan") or area.chosen("kabupaten")
    return DesaFilter(area=area, desa=desa, desa_options=options, region=region)
