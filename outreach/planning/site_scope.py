"""What of the user's area the planning pages offer: kecamatan and desa choices, the sites a planner may
book (grouped by desa), the teams whose calendar a user may open. Scope comes from outreach.permissions."""
from __future__ import annotations

from datetime import date
from typing import Optional

import sqlalchemy as sa

from outreach import permissions
from outreach.extensions import db
from outreach.input_limits import db_id
from outreach.models import Region, Site, Team
from outreach.models.planning import RecordingSession
from outreach.permissions import in_scope, scope_clause, scope_of
from outreach.planning import queries
from outreach.regions.picker import path_of

MAX_SITE_CHOICES = 3000


def own_kecamatan(user) -> Optional[str]:
    """The kecamatan a coordinator plans (its scope), else None."""
    scope = scope_of(user)
    return scope if scope and scope.count(".") == 2 else None


def busiest_kecamatan(user, first: date, last: date) -> Optional[str]:
    """The kecamatan with most visible sessions in [first, last] (a sensible default calendar)."""
    RS = RecordingSession
    row = db.session.execute(
        sa.select(RS.kecamatan_kode, sa.func.count()).where(permissions.sessions_clause(user),
                                                           RS.date.between(first, last))
        .group_by(RS.kecamatan_kode).order_by(sa.func.count().desc(), RS.kecamatan_kode).limit(1)).first()
    return row[0] if row else None


def site_options(user, *, kecamatan: Optional[str] = None, desa: Optional[str] = None,
                 include_id: Optional[int] = None) -> dict[str, list[tuple[str, str]]]:
    """Active sites the user may plan at, grouped by desa: {group label: [(id, label)]}.

    Limited to `desa` or `kecamatan` when given (and in scope); `include_id` is kept even if inactive.
    """
    from outreach.vocab import site_type_labels

    q = (sa.select(Site.id, Site.nama, Site.type, Region.nama, Site.kecamatan_kode)
         .join(Region, Region.kode == Site.desa_kode).where(scope_clause(user, Site)))
    active = Site.active.is_(True)
    if include_id:
        active = sa.or_(active, Site.id == include_id)
    q = q.where(active)
    if desa:
        q = q.where(Site.desa_kode == desa)
    elif kecamatan:
        q = q.where(Site.kecamatan_kode == kecamatan)
    rows = db.session.execute(q.order_by(Site.kecamatan_kode, Region.nama, Site.nama, Site.id)
                              .limit(MAX_SITE_CHOICES)).all()
    types = site_type_labels()
    groups: dict[str, list] = {}
    for site_id, nama, type_, desa_nama, _kec in rows:
        groups.setdefault(desa_nama, []).append((str(site_id), f"{nama} — {types.get(type_, type_)}"))
    return groups


def site_in_scope(user, site_id) -> Optional[Site]:
    site_id = db_id(site_id)
    site = db.session.get(Site, site_id) if site_id is not None else None
    if site is None or not in_scope(user, site.desa_kode):
        return None
    return site


def team_visible(user, team_id) -> Optional[Team]:
    """The team when `user` may see its calendar: a field user only its own team."""
    team_id = db_id(team_id)
    if team_id is None:
        return None
    return db.session.scalar(sa.select(Team).where(permissions.teams_clause(user), Team.id == team_id))


def area_teams(user, area, region: Optional[str], keep_id=None) -> list[Team]:
    """A team filter's list (calendar, session list): every team the user sees; with the stepwise area picker
    (a province or the whole country: hundreds of teams) those of the offices inside the chosen `region` (a
    kecamatan's or desa's: its kabupaten's) and team `keep_id`, none more while no area is chosen."""
    if not area.stepwise:
        return queries.visible_teams(user)
    path = path_of(region or "")
    office = path.get("kabupaten") or path.get("provinsi") or ""
    return queries.visible_teams(user, office_in=office, keep_ids=[db_id(keep_id)])
