"""The ledger through time: the official SIAK series of an area, and a desa's values as of a past day.

Every SIAK import is kept (TargetCount, one row per desa and as-of date; the newest wins). The official
figure of an area on an as-of date D is the sum, over its desa, of each desa's newest count dated D or
earlier (a desa imported later is not in it yet). `official_series` gives that figure on every as-of date
of the area's desa, in one statement: each count contributes its change from the desa's count before it
(SQL window LAG), and the changes summed per date and added up in date order give the series.

`desa_values_at(desa, day)` is outreach.regions.queries.desa_values as of a past day (for a backdated
snapshot): the official figures then, the logs and refusers from that as-of date up to the day; known-away
rows keep no history (today's counts are used) and no session counts as planned.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import DesaTally, RefuserFollowup, Region, TargetCount
from outreach.vocab import AWAY_REASONS
from outreach.models.field import TurnoutLog

EPOCH = date(1900, 1, 1)
_GROUP = {"provinsi": Region.provinsi_kode, "kabupaten": Region.kabupaten_kode,
          "kecamatan": Region.kecamatan_kode, "desa": Region.kode}


@dataclass(frozen=True)
class OfficialPoint:
    """An area's official SIAK figures on one as-of date (its desa counted by then: `desa`)."""
    as_of: date
    wajib_ktp: int
    sudah_rekam: int
    desa: int

    @property
    def backlog(self) -> int:
        return self.wajib_ktp - self.sudah_rekam


def official_series(group_level: Optional[str], condition=sa.true()) -> dict[str, list[OfficialPoint]]:
    """{area code: [OfficialPoint by date]} for every area of `group_level` (None: one series, code "") over
    the desa matching `condition` (a condition on Region)."""
    T = TargetCount
    order = (T.as_of, T.id)
    prev_w = sa.func.lag(T.wajib_ktp, 1, 0).over(partition_by=T.desa_kode, order_by=order)
    prev_s = sa.func.lag(T.sudah_rekam, 1, 0).over(partition_by=T.desa_kode, order_by=order)
    first = sa.func.row_number().over(partition_by=T.desa_kode, order_by=order)
    group = _GROUP[group_level] if group_level else sa.literal("")
    counts = (sa.select(group.label("grp"), T.as_of.label("as_of"), (T.wajib_ktp - prev_w).label("dw"),
                        (T.sudah_rekam - prev_s).label("ds"), sa.case((first == 1, 1), else_=0).label("dn"))
              .join(Region, Region.kode == T.desa_kode)
              .where(T.desa_kode.is_not(None), Region.level == "desa", condition).subquery("counts"))
    stmt = (sa.select(counts.c.grp, counts.c.as_of, sa.func.sum(counts.c.dw), sa.func.sum(counts.c.ds),
                      sa.func.sum(counts.c.dn))
            .group_by(counts.c.grp, counts.c.as_of).order_by(counts.c.grp, counts.c.as_of))
    out: dict[str, list[OfficialPoint]] = {}
    running: dict[str, list[int]] = {}
    for grp, as_of, dw, ds, dn in db.session.execute(stmt):
        key = grp or ""
        w, s, n = running.setdefault(key, [0, 0, 0])
        running[key] = [w + int(dw or 0), s + int(ds or 0), n + int(dn or 0)]
        out.setdefault(key, []).append(OfficialPoint(as_of, *running[key]))
    return out


def point_on(series: list[OfficialPoint], day: date) -> Optional[OfficialPoint]:
    """The newest point of `series` dated `day` or earlier."""
    found = None
    for point in series:
        if point.as_of > day:
            break
        found = point
    return found


def desa_values_at(on_region, day: date) -> sa.Select:
    """desa_values (same columns) as of `day`: official figures from each desa's newest count dated `day` or
    earlier; recorded since and refusers from that date up to `day`; today's known away; nothing planned."""
    T = TargetCount
    ranked = (sa.select(T.desa_kode, T.wajib_ktp, T.sudah_rekam, T.as_of,
                        sa.func.row_number().over(partition_by=T.desa_kode,
                                                  order_by=(T.as_of.desc(), T.id.desc())).label("rn"))
              .where(T.desa_kode.is_not(None), T.as_of <= day).subquery("official_then"))
    as_of = sa.func.coalesce(ranked.c.as_of, EPOCH)

    def logs(column):
        return (sa.select(sa.func.coalesce(sa.func.sum(column), 0))
                .where(TurnoutLog.desa_kode == Region.kode, TurnoutLog.session_date > as_of,
                       TurnoutLog.session_date <= day)
                .correlate(Region, ranked).scalar_subquery())

    followed = (sa.select(sa.func.coalesce(sa.func.sum(RefuserFollowup.count), 0))
                .where(RefuserFollowup.desa_kode == Region.kode, RefuserFollowup.followed_on > as_of,
                       RefuserFollowup.followed_on <= day)
                .correlate(Region, ranked).scalar_subquery())
    D = DesaTally
    columns = [Region.kode.label("kode"), Region.provinsi_kode.label("provinsi"),
               Region.kabupaten_kode.label("kabupaten"), Region.kecamatan_kode.label("kecamatan"),
               ranked.c.wajib_ktp.label("wajib"), sa.func.coalesce(ranked.c.sudah_rekam, 0).label("official"),
               ranked.c.as_of.label("as_of"), logs(TurnoutLog.recorded_total).label("since"),
               (logs(TurnoutLog.not_recorded_tidak_bersedia) - followed).label("menolak"),
               sa.func.coalesce(D.known_away, 0).label("away"),
               *[sa.func.coalesce(getattr(D, f"away_{reason}"), 0).label(f"away_{reason}")
                 for reason in AWAY_REASONS],
               sa.literal(0).label("planned")]
    return (sa.select(*columns)
            .outerjoin(ranked, sa.and_(ranked.c.desa_kode == Region.kode, ranked.c.rn == 1))
            .outerjoin(D, D.desa_kode == Region.kode)
            .where(Region.level == "desa", on_region))


def first_official_date(condition=sa.true()) -> Optional[date]:
    """The oldest SIAK as-of date of the desa matching `condition`."""
    return db.session.scalar(sa.select(sa.func.min(TargetCount.as_of)).join(Region, Region.kode == TargetCount.desa_kode)
                             .where(Region.level == "desa", condition))
