"""The planner form's region (a kecamatan, or a whole kabupaten/kota): one select for a small scope, the
stepwise area picker (outreach/regions/picker.py) above AREA_SELECT_MAX kecamatan, where an empty kecamatan
under a chosen kabupaten plans the kabupaten."""
from __future__ import annotations

from typing import Mapping

from outreach.models.regions import level_of
from outreach.regions import picker


def plan_region(user, value: str, limit: int, picks: Mapping[str, str]) -> tuple[picker.AreaPicker, str]:
    """(area picker, the region it names) for the form's `region` value and submitted helper lists `picks`.
    A flat picker (stepwise False) leaves `value` as it is, for the form's single select to check."""
    value = picker.clean_kode(value)
    if not picks and level_of(value) == "kabupaten":  # a link naming a kabupaten opens its lists
        picks = {lvl: kode for lvl, kode in picker.path_of(value).items()}
    area = picker.build_picker(user, {"kecamatan": "region"}, {"kecamatan": value}, limit, picks)
    if not area.stepwise:
        return area, value
    return area, area.chosen("kecamatan") or area.chosen("kabupaten")
