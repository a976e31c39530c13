"""Loading sessions for the jobs as plain SessionInfo values (a few queries, whatever the number of sessions)."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from outreach.extensions import db
from outreach.jobs.texts import SessionInfo
from outreach.models import Region, RecordingSession, User


def session_infos(sessions: Iterable[RecordingSession]) -> dict[int, SessionInfo]:
    """SessionInfo per session id; sessions must come with site, team and kits loaded."""
    sessions = list(sessions)
    kodes = {s.desa_kode for s in sessions} | {s.kecamatan_kode for s in sessions}
    names = dict(db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(kodes))).all()) \
        if kodes else {}
    return {s.id: SessionInfo(
        id=s.id, date=s.date, end_date=s.end_date, start=s.start_time, end=s.end_time,
        site_nama=s.site.nama, site_type=s.site.type, address=s.site.address or "",
        desa_nama=names.get(s.desa_kode, ""), kecamatan_nama=names.get(s.kecamatan_kode, ""),
        contact_name=s.site.contact_name or "", contact_phone=s.site.contact_phone or "",
        kits=tuple(k.code for k in s.kits), expected_turnout=s.expected_turnout or 0, kind=s.kind,
        target_groups=tuple(s.target_groups or ()), team_nama=s.team.nama) for s in sessions}


def with_details(query):
    return query.options(selectinload(RecordingSession.site), selectinload(RecordingSession.team),
                         selectinload(RecordingSession.kits))


def field_users_by_team(team_ids: Iterable[int]) -> dict[int, list[int]]:
    """Active field users of each team."""
    out: dict[int, list[int]] = defaultdict(list)
    team_ids = sorted(set(team_ids))
    if team_ids:
        for user_id, team_id in db.session.execute(
                sa.select(User.id, User.team_id).where(User.team_id.in_(team_ids), User.role == "field",
                                                       User.active.is_(True)).order_by(User.id)):
            out[team_id].append(user_id)
    return out


def coordinators_by_kecamatan(kodes: Iterable[str]) -> dict[str, list[int]]:
    """Active coordinators whose scope is each kecamatan."""
    out: dict[str, list[int]] = defaultdict(list)
    kodes = sorted(set(kodes))
    if kodes:
        for user_id, kode in db.session.execute(
                sa.select(User.id, User.scope_kode).where(User.scope_kode.in_(kodes), User.role == "coordinator",
                                                          User.active.is_(True)).order_by(User.id)):
            out[kode].append(user_id)
    return out
