"""Area pickers that scale from a kecamatan to the whole country.

A form field that names a region (a site's desa, a list's kecamatan/desa filter) shows one <select> when
the user's scope holds few regions of that level (a coordinator's ~20 desa), and a stepwise picker
(provinsi →) kabupaten → kecamatan → desa otherwise, each list bounded by the one chosen above it, so no
page carries thousands of options. The threshold is a setting (AREA_SELECT_MAX).

Plain functions of (user, values): which levels to show, the lists for the chosen parents, the check of
a chosen region. The views fill the picker; templates/_macros/area_picker.html draws it and
static/js/area_picker.js fills the next list from /wilayah/pilihan without a reload.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import sqlalchemy as sa

from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Region
from outreach.models.regions import level_of
from outreach.permissions import in_scope, scope_clause, scope_of, visible_kode
from outreach.vocab import LEVELS

DEFAULT_SELECT_MAX = 300
KODE_MAX = 20


@dataclass
class Step:
    """One <select> of the picker: its level, input name, options [(kode, nama)] and chosen code."""
    level: str
    name: str
    options: list[tuple[str, str]]
    chosen: str = ""
    is_field: bool = False  # one of the form's own fields (else a helper list, e.g. pilih_kabupaten)


@dataclass
class AreaPicker:
    """What the macro draws: `stepwise` False means the view keeps its single select."""
    stepwise: bool
    steps: list[Step] = field(default_factory=list)

    def chosen(self, level: str) -> str:
        return next((s.chosen for s in self.steps if s.level == level), "")

    def option_count(self) -> int:
        return sum(len(s.options) for s in self.steps)

    def deepest(self) -> str:
        """The code of the deepest list with a choice ('' when none): the area a filter narrows to."""
        return next((s.chosen for s in reversed(self.steps) if s.chosen), "")

    def helper_args(self) -> dict[str, str]:
        """The helper lists' choices (pilih_<level>) as query arguments, for links that keep the picker's
        place (a kabupaten chosen without a kecamatan)."""
        return {s.name: s.chosen for s in self.steps if not s.is_field and s.chosen}


def clean_kode(raw) -> str:
    """A submitted region code, trimmed; '' for anything that cannot be one."""
    kode = str(raw or "").strip()
    return kode if len(kode) <= KODE_MAX and level_of(kode) else ""


def count_in_scope(user, level: str) -> int:
    """How many regions of `level` lie in the user's scope."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Region)
                             .where(Region.level == level, scope_clause(user, Region))) or 0


def is_stepwise(user, level: str, limit: int) -> bool:
    """True when a single list of the scope's regions of `level` would exceed `limit` options. Regions
    just below the scope (a coordinator's desa) stay one list without counting: their picker would have
    that one step anyway."""
    scope = scope_of(user)
    scope_level = level_of(scope) if scope else None
    if scope is not None and (scope_level is None or LEVELS.index(level) <= LEVELS.index(scope_level) + 1):
        return False
    return count_in_scope(user, level) > limit


def step_levels(user, last: str) -> list[str]:
    """The levels a stepwise picker shows for the user: from the one below the scope down to `last`
    (a province admin: kabupaten, kecamatan, desa; a national admin starts at provinsi)."""
    scope = scope_of(user)
    start = 0 if scope is None else LEVELS.index(level_of(scope) or "desa") + 1
    return list(LEVELS[start:LEVELS.index(last) + 1])


def children_in_scope(user, parent: Optional[str], level: str) -> list[tuple[str, str]]:
    """(kode, nama) of the regions of `level` under `parent` (all of the scope's when None) that lie in
    the user's scope, by name."""
    where = [Region.level == level, scope_clause(user, Region)]
    if parent:
        where.append(Region.parent_kode == parent)
    rows = db.session.execute(sa.select(Region.kode, Region.nama).where(*where)
                              .order_by(Region.nama, Region.kode)).all()
    return [(kode, nama) for kode, nama in rows]


def children_for_request(user, induk: str) -> Optional[list[dict]]:
    """The JSON list of /wilayah/pilihan: [{kode, nama}] of the regions one level below `induk` in the
    user's scope; None when `induk` is not a region above a desa that the user may see."""
    induk = clean_kode(induk)
    level = level_of(induk) if induk else None
    if level not in ("provinsi", "kabupaten", "kecamatan") or not visible_kode(user, induk) \
            or db.session.get(Region, induk) is None:
        return None
    below = LEVELS[LEVELS.index(level) + 1]
    return [{"kode": k, "nama": n} for k, n in children_in_scope(user, induk, below)]


def _path_of(kode: str) -> dict[str, str]:
    """{level: code} of `kode` and its ancestors."""
    parts = kode.split(".") if kode else []
    return {LEVELS[i]: ".".join(parts[:i + 1]) for i in range(len(parts))} if level_of(kode or "") else {}


def path_of(kode: str) -> dict[str, str]:
    """{level: code} of a region code and its ancestors ({} for anything that is not one)."""
    return _path_of(clean_kode(kode))


def select_max(config: Mapping) -> int:
    """AREA_SELECT_MAX of the app's config: the most options one region list may hold."""
    try:
        return max(1, int(config.get("AREA_SELECT_MAX", DEFAULT_SELECT_MAX)))
    except (TypeError, ValueError):
        return DEFAULT_SELECT_MAX


def submitted_picks(source: Mapping) -> dict[str, str]:
    """The helper lists (pilih_<level>) present in a submitted form or query string."""
    return {lvl: source.get(f"pilih_{lvl}") or "" for lvl in LEVELS if f"pilih_{lvl}" in source}


def build_picker(user, fields: Mapping[str, str], values: Mapping[str, str], limit: int,
                 picks: Optional[Mapping[str, Optional[str]]] = None, force: bool = False) -> AreaPicker:
    """The picker of a form whose region fields are `fields` ({level: input name}, deepest last, e.g.
    {"desa": "desa_kode"} or {"kecamatan": "kecamatan", "desa": "desa"}), holding `values` ({level: code}).

    Single select (stepwise False) when the scope holds at most `limit` regions of the shallowest field's
    level. Otherwise one step per level from below the scope down to the deepest field; `picks`
    ({level: code or ''}, the helper lists as submitted) override what the values imply, so a changed
    kabupaten shows its own kecamatan. A choice that does not lie under the one above it is dropped.
    `force`: stepwise whatever the count (a list of something else, e.g. sites, is too long and the caller
    narrows it by region).
    """
    levels = [lvl for lvl in LEVELS if lvl in fields]
    if not levels or not (force or is_stepwise(user, levels[0], limit)):
        return AreaPicker(stepwise=False)
    picks = picks or {}
    implied: dict[str, str] = {}
    for lvl in reversed(levels):  # the deepest value chosen says the whole path
        kode = clean_kode(values.get(lvl))
        if kode and level_of(kode) == lvl and in_scope(user, kode):
            implied = _path_of(kode)
            break
    steps, parent = [], None
    for lvl in step_levels(user, levels[-1]):
        if lvl in picks and lvl not in fields:
            chosen = clean_kode(picks.get(lvl))
        else:
            chosen = implied.get(lvl, "")
        options = children_in_scope(user, parent, lvl) if (parent or not steps) else []
        if chosen and chosen not in {k for k, _n in options}:
            chosen = ""
        if not chosen and len(options) == 1 and lvl not in fields and lvl not in picks:
            chosen = options[0][0]  # the only province (or kabupaten) there is: chosen already, on a first view
            implied = _path_of(chosen) if not implied else implied
        if lvl in picks and lvl not in fields and chosen != implied.get(lvl, ""):
            implied = _path_of(chosen)  # a changed helper list: what was below it no longer applies
        steps.append(Step(level=lvl, name=fields.get(lvl, f"pilih_{lvl}"), options=options, chosen=chosen,
                          is_field=lvl in fields))
        parent = chosen or None
    return AreaPicker(stepwise=True, steps=steps)


def check_choice(user, kode, level: str) -> Optional[str]:
    """None when `kode` names an existing region of `level` inside the user's scope; else the message."""
    kode = clean_kode(kode)
    if not kode or level_of(kode) != level or db.session.get(Region, kode) is None:
        return _("Wilayah yang dipilih tidak ditemukan.")
    if not in_scope(user, kode):
        return _("Wilayah ini di luar wilayah tugas Anda.")
    return None
