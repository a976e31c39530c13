"""The session form's long lists at national scale: which sites, teams and kits it offers.

A coordinator of a small kecamatan sees every site of it, every team and kit (as before). When the sites the
form would list outnumber SESSION_SITE_SELECT_MAX (a kecamatan with thousands of schools, an admin of a
province or of the whole country), the form narrows them with the stepwise area picker
(outreach/regions/picker.py): the regions below the user's scope down to desa, and the sites of the chosen
desa, or of the chosen kecamatan while it holds at most the maximum. Teams and kits: when the user sees teams
of more than one office, only those of the site's kabupaten/kota office (plus the ones the session already
has, so an edit never loses its values).

Plain functions of (user, values); the view passes the request's values and draws what comes back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

import sqlalchemy as sa

from outreach import permissions
from outreach.extensions import db
from outreach.input_limits import db_id
from outreach.models import Kit, Site, Team
from outreach.models.regions import level_of
from outreach.permissions import in_scope, scope_clause, scope_of
from outreach.planning.site_scope import own_kecamatan
from outreach.regions import picker

DEFAULT_SITE_SELECT_MAX = 300
STEPWISE_FLAG = "lokasi_bertahap"  # hidden input of a form drawn with the picker: keep it on the next round
SITE_LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")


def site_select_max(config: Mapping) -> int:
    """SESSION_SITE_SELECT_MAX of the app's config: the most sites the form lists at once."""
    try:
        return max(1, int(config.get("SESSION_SITE_SELECT_MAX", DEFAULT_SITE_SELECT_MAX)))
    except (TypeError, ValueError):
        return DEFAULT_SITE_SELECT_MAX


@dataclass
class SiteList:
    """Which sites the form lists: those of `region` (None: the user's whole scope) when `region_set`;
    else none yet, and `waiting_for` says which list to choose first ("kecamatan" or "desa")."""
    area: picker.AreaPicker
    region: Optional[str] = None
    region_set: bool = True
    waiting_for: str = ""
    too_many: int = 0  # the sites of the chosen kecamatan, when more than the form lists

    @property
    def stepwise(self) -> bool:
        return self.area.stepwise


@dataclass
class TeamKitChoice:
    """Teams and kits the form offers: `office` set when narrowed to one kabupaten/kota office; `waiting`
    when the user sees many offices and no site or kabupaten is chosen yet (only the chosen ones shown)."""
    teams: list = field(default_factory=list)
    kits: list = field(default_factory=list)
    office: Optional[str] = None
    waiting: bool = False


def _region_clause(region: Optional[str]):
    level = level_of(region) if region else None
    if level not in SITE_LEVELS:
        return sa.true()
    return getattr(Site, f"{level}_kode") == region


def count_sites(user, region: Optional[str]) -> int:
    """Active sites the user may plan at inside `region` (its whole scope when None)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Site).where(
        scope_clause(user, Site), Site.active.is_(True), _region_clause(region))) or 0


def _valid(user, kode, level: str) -> Optional[str]:
    kode = picker.clean_kode(kode)
    return kode if kode and level_of(kode) == level and in_scope(user, kode) else None


def default_region(user, site: Optional[Site], desa_arg=None, kecamatan_arg=None) -> Optional[str]:
    """The region whose sites the form lists by default: ?desa=, else the chosen site's kecamatan, else
    ?kecamatan=, else a coordinator's kecamatan, else the user's scope (None: everything)."""
    return (_valid(user, desa_arg, "desa") or (site.kecamatan_kode if site is not None else None)
            or _valid(user, kecamatan_arg, "kecamatan") or own_kecamatan(user) or scope_of(user))


def plan_site_list(user, site: Optional[Site], limit: int, area_limit: int, *, desa_arg=None, kecamatan_arg=None,
                   form: Optional[Mapping] = None) -> SiteList:
    """What the site list shows. `form`: the submitted form (its pilih_<level> lists and the stepwise flag)
    or None on a first visit; `limit`: the most sites one list holds; `area_limit`: AREA_SELECT_MAX."""
    form = form or {}
    base = default_region(user, site, desa_arg, kecamatan_arg)
    if STEPWISE_FLAG not in form and count_sites(user, base) <= limit:
        return SiteList(area=picker.AreaPicker(stepwise=False), region=base)
    if STEPWISE_FLAG in form:
        picks = picker.submitted_picks(form)
        desa = picks.pop("desa", "")
    else:
        desa = _valid(user, desa_arg, "desa") or (site.desa_kode if site is not None else "")
        picks = {} if desa else {lvl: kode for lvl, kode in picker.path_of(base or "").items() if lvl != "desa"}
    area = picker.build_picker(user, {"desa": "pilih_desa"}, {"desa": desa}, area_limit, picks, force=True)
    desa, kecamatan = area.chosen("desa"), area.chosen("kecamatan") or own_kecamatan(user)
    if desa:
        return SiteList(area=area, region=desa)
    if not kecamatan:
        return SiteList(area=area, region=None, region_set=False, waiting_for="kecamatan")
    n = count_sites(user, kecamatan)
    if n <= limit:
        return SiteList(area=area, region=kecamatan)
    return SiteList(area=area, region=None, region_set=False, waiting_for="desa", too_many=n)


def office_count(user) -> int:
    """How many offices the teams the user sees belong to."""
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(Team.office_kode)))
                             .where(permissions.teams_clause(user))) or 0


def list_office(site: Optional[Site], sites: SiteList) -> Optional[str]:
    """The kabupaten/kota whose teams and kits the form offers: the chosen site's, else that of the region
    the sites are listed for, else the kabupaten chosen in the picker."""
    if site is not None:
        return site.kabupaten_kode
    if sites.region_set and sites.region:
        return picker.path_of(sites.region).get("kabupaten")
    return sites.area.chosen("kabupaten") or None


def _ids(values: Iterable) -> set[int]:
    """The database ids among `values` (anything else, or past the database's INTEGER, left out)."""
    return {i for i in (db_id(v) for v in values or ()) if i is not None}


def teams_and_kits(user, office: Optional[str], stepwise: bool, chosen_team=None, chosen_kits=()) -> TeamKitChoice:
    """The teams and kits of the form: all the user sees when they belong to one office (or the site list is
    short and no office is known); those of `office` plus the chosen ones when the user sees several offices;
    only the chosen ones while a stepwise form has no office yet."""
    team_ids, kit_ids = _ids([chosen_team]), _ids(chosen_kits)
    teams_q = sa.select(Team).where(permissions.teams_clause(user)).order_by(Team.nama)
    kits_q = sa.select(Kit).where(permissions.kits_clause(user)).order_by(Kit.code)
    narrow = office_count(user) > 1
    if narrow and office:
        teams_q = teams_q.where(sa.or_(Team.office_kode == office, Team.id.in_(team_ids)))
        kits_q = kits_q.where(sa.or_(Kit.office_kode == office, Kit.id.in_(kit_ids)))
    elif narrow and stepwise:
        teams_q = teams_q.where(Team.id.in_(team_ids))
        kits_q = kits_q.where(Kit.id.in_(kit_ids))
    return TeamKitChoice(teams=list(db.session.scalars(teams_q)), kits=list(db.session.scalars(kits_q)),
                         office=office if narrow and office else None, waiting=narrow and not office and stepwise)


def team_names(ids: Iterable[int]) -> dict[int, str]:
    """{id: nama} of the given teams (the owners of the kits listed)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Team.id, Team.nama).where(Team.id.in_(ids))).all())
