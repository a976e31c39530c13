"""Pemilih pemula: students turning 17 by the cut-off still to record, per school and per kecamatan,
with the school sessions planned for them."""
from __future__ import annotations

from datetime import date
from typing import Optional

import sqlalchemy as sa

from outreach.clock import local_today
from outreach.coverage.queries.areas import (Area, BadInput, as_date, pemilih_pemula_cutoff, resolve_area,
                                             session_area_condition)
from outreach.coverage.queries.sessions import OPEN_STATUSES
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Region, Site
from outreach.models.planning import RecordingSession
from outreach.regions import queries as rq


def _site_condition(area: Area):
    """SQL: sites inside `area`; above kecamatan level as a range of kecamatan codes (an index range)."""
    if area.kode is None:
        return sa.true()
    if area.level == "desa":
        return Site.desa_kode == area.kode
    if area.level == "kecamatan":
        return Site.kecamatan_kode == area.kode
    return sa.and_(Site.kecamatan_kode >= area.kode + ".", Site.kecamatan_kode < area.kode + "/")


def pemilih_pemula(user, region_kode: Optional[str] = None, cutoff=None, school_limit: Optional[int] = 500,
                   today: Optional[date] = None, per_kecamatan: bool = True) -> dict:
    """Students turning 17 by the cut-off (a school's pemilih pemula target) still to record, per school and
    per kecamatan, with the school sessions planned for them (open sessions at the school dated from
    today up to the cut-off). A cut-off in the past raises BadInput.

    Returns {"cutoff": date, "total": {...}, "kecamatan": [dict], "schools": [dict] (most still to record
    first (then the larger still to record, then by id), at most `school_limit`; None: all),
    "schools_total": int}. Each row: pemilih_pemula, recorded,
    still_to_record, sessions_planned, expected_planned, uncovered (= still to record − expected at
    planned sessions, not below 0); kecamatan rows also count schools and schools_without_session.
    per_kecamatan=False (a dashboard's summary): "kecamatan" is empty and the total is summed in one row."""
    area = resolve_area(user, region_kode)
    today = today or local_today()
    cutoff = as_date(cutoff, "cutoff") or pemilih_pemula_cutoff() or today
    if cutoff < today:
        raise BadInput(_("Tanggal batas %(d)s sudah lewat; pilih hari ini atau sesudahnya.", d=cutoff.isoformat()))
    total, kecamatan, schools = rq.cached(
        ("pemilih_pemula", area.kode, area.synthetic, today, cutoff, school_limit, per_kecamatan),
        lambda: _pemilih_pemula_rows(area, today, cutoff, school_limit, per_kecamatan),
        also=(RecordingSession, Site))
    # Copies: the cached rows stay as computed whatever a caller does with its own.
    return {"cutoff": cutoff, "area": area, "total": dict(total), "kecamatan": [dict(r) for r in kecamatan],
            "schools": [dict(r) for r in schools], "schools_total": total["schools"]}


def _pemilih_pemula_rows(area: Area, today: date, cutoff: date, school_limit: Optional[int],
                         per_kecamatan: bool = True) -> tuple:
    RS = RecordingSession
    planned = (sa.select(RS.site_id.label("site_id"), sa.func.count(RS.id).label("n"),
                         sa.func.sum(RS.expected_turnout).label("expected"))
               .where(RS.status.in_(OPEN_STATUSES), RS.date >= today, RS.date <= cutoff,
                      session_area_condition(area))
               .group_by(RS.site_id).subquery("planned"))
    recorded = sa.func.coalesce(Site.pemilih_pemula_recorded, 0)
    still = sa.case((Site.pemilih_pemula - recorded < 0, 0), else_=Site.pemilih_pemula - recorded)
    expected = sa.func.coalesce(planned.c.expected, 0)
    uncovered = sa.case((still - expected < 0, 0), else_=still - expected)
    n_sessions = sa.func.coalesce(planned.c.n, 0)
    schools_where = (Site.type == "sekolah", Site.active.is_(True), _site_condition(area),
                     Site.pemilih_pemula.is_not(None))
    sums = (sa.func.count(Site.id), sa.func.sum(Site.pemilih_pemula),
            sa.func.sum(sa.case((recorded > Site.pemilih_pemula, Site.pemilih_pemula), else_=recorded)),
            sa.func.sum(still), sa.func.sum(n_sessions), sa.func.sum(expected), sa.func.sum(uncovered),
            sa.func.sum(sa.case((sa.and_(n_sessions == 0, still > 0), 1), else_=0)))
    keys = ("schools", "pemilih_pemula", "recorded", "still_to_record", "sessions_planned", "expected_planned",
            "uncovered", "schools_without_session")
    kecamatan = []
    if per_kecamatan:
        per_kec = db.session.execute(
            sa.select(Site.kecamatan_kode, *sums).outerjoin(planned, planned.c.site_id == Site.id)
            .where(*schools_where).group_by(Site.kecamatan_kode)).all()
        names = dict(db.session.execute(sa.select(Region.kode, Region.nama).where(
            Region.kode.in_([r[0] for r in per_kec] or ["-"]))).all()) if per_kec else {}
        for row in per_kec:
            item = {"kode": row[0], "nama": names.get(row[0], row[0])}
            item.update({k: int(v or 0) for k, v in zip(keys, row[1:])})
            kecamatan.append(item)
        kecamatan.sort(key=lambda r: (-r["uncovered"], -r["still_to_record"], r["kode"]))
        total = {k: sum(r[k] for r in kecamatan) for k in keys}
    else:
        row = db.session.execute(sa.select(*sums).outerjoin(planned, planned.c.site_id == Site.id)
                                 .where(*schools_where)).one()
        total = {k: int(v or 0) for k, v in zip(keys, row)}
    # The ranking reads only indexed columns (covering index on schools); the names and details are then
    # fetched for the schools kept, not for every school of the province.
    top = (sa.select(Site.id.label("id"), recorded.label("recorded"), still.label("still"), n_sessions.label("n"),
                     expected.label("expected"), uncovered.label("uncovered"))
           .outerjoin(planned, planned.c.site_id == Site.id).where(*schools_where)
           .order_by(uncovered.desc(), still.desc(), Site.id))
    if school_limit is not None:
        top = top.limit(school_limit)
    top = top.subquery("top")
    stmt = (sa.select(Site.id, Site.nama, Site.npsn, Site.jenjang, Site.desa_kode, Site.kecamatan_kode,
                      Site.pemilih_pemula, top.c.recorded, top.c.still, top.c.n, top.c.expected, top.c.uncovered,
                      Site.pemilih_pemula_as_of)
            .join(top, top.c.id == Site.id)
            .order_by(top.c.uncovered.desc(), top.c.still.desc(), Site.id))
    schools = [{"site_id": r[0], "nama": r[1], "npsn": r[2], "jenjang": r[3], "desa_kode": r[4],
                "kecamatan_kode": r[5], "pemilih_pemula": int(r[6] or 0), "recorded": int(r[7] or 0),
                "still_to_record": int(r[8] or 0), "sessions_planned": int(r[9] or 0),
                "expected_planned": int(r[10] or 0), "uncovered": int(r[11] or 0), "as_of": r[12]}
               for r in db.session.execute(stmt)]
    return total, kecamatan, schools
