"""An area's backlog over time: official SIAK counts, nightly snapshots and today's live figures."""
from __future__ import annotations

from datetime import date
from typing import Optional

import sqlalchemy as sa

from outreach.cache import SharedCache
from outreach.clock import local_today
from outreach.coverage.queries.areas import (Area, BadInput, area_condition, as_date, own_figures, request_memo,
                                             resolve_area)
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Region
from outreach.models.jobs import CoverageSnapshot
from outreach.regions import queries as rq

TREND_MAX_DAYS = 3660


# Where a trend point comes from, in the order one of the same date wins.
SOURCE_SIAK, SOURCE_SNAPSHOT, SOURCE_LIVE = "siak", "snapshot", "live"
TREND_TERMS = ("wajib_ktp", "sudah_rekam_official", "recorded_since", "recorded_over_target",
               "sudah_rekam_estimated", "backlog", "known_away", "known_away_in_backlog", "menolak",
               "menolak_in_backlog", "reachable_backlog", "planned")


def _official_point(p) -> dict:
    """A trend point from an official SIAK count: only what the count says (no field logs since; the
    known away and refusers of that date are not known)."""
    terms = dict.fromkeys(TREND_TERMS)
    terms.update(wajib_ktp=p.wajib_ktp, sudah_rekam_official=p.sudah_rekam, recorded_since=0, recorded_over_target=0,
                 sudah_rekam_estimated=p.sudah_rekam, backlog=p.backlog)
    return {"date": p.as_of, **terms, "official_as_of": p.as_of, "desa_counted": p.desa, "source": SOURCE_SIAK,
            "live": False}


def series_stamp() -> tuple:
    """Changes whenever a SIAK count is imported (the official series cache's key)."""
    from outreach.models import TargetCount

    memo = request_memo()
    if memo is not None and "series_stamp" in memo:
        return memo["series_stamp"]
    stamp = tuple(db.session.execute(sa.select(sa.func.max(TargetCount.id), sa.func.count())
                                     .select_from(TargetCount)).one())
    if memo is not None:
        memo["series_stamp"] = stamp
    return stamp


def official_series_of(area: Area) -> list:
    """The area's official SIAK series (outreach.regions.history.OfficialPoint by date)."""
    from outreach.regions import history

    stamp = series_stamp()

    def compute():
        return history.official_series(None, area_condition(area)).get("", [])

    if area.big:  # a province's or the country's series reads every desa's SIAK counts (0.1 s nationally)
        return SharedCache.get(f"series:{area.kode or '*'}", compute, stamp=str(stamp))
    return rq.cached(("series", area.kode, stamp), compute)


def _snapshot_points(area: Area, date_from: date, date_to: date) -> list[dict]:
    S = CoverageSnapshot
    columns = [getattr(S, name) for name in TREND_TERMS]
    in_range = sa.and_(S.date >= date_from, S.date <= date_to)
    if not area.synthetic:
        stmt = sa.select(S.date, S.official_as_of, *columns).where(S.region_kode == area.kode, in_range).order_by(S.date)
    else:
        # No row of its own, so no snapshot of its own: sum the snapshots of its top regions per date.
        top_level = "kabupaten"
        if area.kode is None and db.session.scalar(sa.select(sa.func.count()).select_from(Region)
                                                   .where(Region.level == "provinsi")):
            top_level = "provinsi"
        tops = db.session.scalars(sa.select(Region.kode).where(Region.level == top_level,
                                                               area_condition(area))).all()
        stmt = (sa.select(S.date, sa.func.max(S.official_as_of), *[sa.func.sum(c) for c in columns])
                .where(S.region_kode.in_(tops or ["-"]), in_range).group_by(S.date).order_by(S.date))
    return [{"date": row[0], **dict(zip(TREND_TERMS, (int(v or 0) for v in row[2:]))), "official_as_of": row[1],
             "source": SOURCE_SNAPSHOT, "live": False} for row in db.session.execute(stmt)]


def _live_point(area: Area, today: date) -> Optional[dict]:
    f = own_figures(area)
    if f.wajib_ktp is None:
        return None
    return {"date": today, **{name: getattr(f, name) for name in TREND_TERMS}, "official_as_of": f.official_as_of,
            "source": SOURCE_LIVE, "live": True}


def trend_points(user, region_kode: Optional[str] = None, date_from=None, date_to=None) -> list[dict]:
    """The area's history between the two dates (inclusive): a point on every official SIAK as-of date
    (source "siak": the official count only), every nightly snapshot ("snapshot": the whole ledger) and
    today's live figures ("live"); where two fall on one date, live wins over a snapshot, a snapshot over
    a SIAK count.

    Each point: {"date", "source", "live": bool, "official_as_of", and every term of TREND_TERMS (those a
    SIAK count does not know are None)}; ordered by date. Defaults: the whole history up to today.
    A backwards range raises BadInput."""
    area = resolve_area(user, region_kode)
    today = local_today()
    date_to = as_date(date_to, "to") or today
    series = official_series_of(area)
    date_from = as_date(date_from, "from")
    if date_from is None:
        oldest = [d for d in (series[0].as_of if series else None, _oldest_snapshot(area)) if d is not None]
        date_from = min(oldest + [date_to])
    if date_from > date_to:
        raise BadInput(_("Rentang tanggal terbalik: 'dari' (%(a)s) sesudah 'sampai' (%(b)s).",
                         a=date_from.isoformat(), b=date_to.isoformat()))
    if (date_to - date_from).days > TREND_MAX_DAYS:
        raise BadInput(_("Rentang tanggal terlalu panjang (maksimal %(n)s hari).", n=TREND_MAX_DAYS))
    by_date: dict[date, dict] = {}
    for p in series:
        if date_from <= p.as_of <= date_to:
            by_date[p.as_of] = _official_point(p)
    for point in _snapshot_points(area, date_from, date_to):
        by_date[point["date"]] = point
    if date_from <= today <= date_to:
        live = _live_point(area, today)
        if live is not None:
            by_date[today] = live
    return [by_date[d] for d in sorted(by_date)]


def _oldest_snapshot(area: Area) -> Optional[date]:
    S = CoverageSnapshot
    if area.synthetic:
        return db.session.scalar(sa.select(sa.func.min(S.date)))
    return db.session.scalar(sa.select(sa.func.min(S.date)).where(S.region_kode == area.kode))
