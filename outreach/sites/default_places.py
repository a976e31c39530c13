"""Every desa's default recording place: its balai desa (a desa) or kantor kelurahan (a kelurahan).

With regions and SIAK counts alone the planner has nowhere to send a team, so a desa gets a default place
when it is first needed: when the planner plans an area (`ensure_for_planning`: the desa with reachable
backlog), or for an area or the whole country from `flask --app app create-default-places` after an import
(`create_default_places`: every desa). The place stands at the desa's point (its region point, else the
representative point of its boundary, else its kecamatan's or kabupaten's point), marked as approximate
coordinates, and is then a site like any other: edited, moved or deactivated on the site pages. A desa
that has any balai desa site, active or not, never gets another, so every step is idempotent.

`place_values` and `what_to_add` are plain rules; the rest reads and writes through `outreach.sites.service`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Iterable, Optional

import sqlalchemy as sa

from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Region, Site
from outreach.models.regions import ancestors_of
from outreach.permissions import in_scope

log = logging.getLogger(__name__)

PLACE_TYPE = "balai_desa"
# Stored names, not interface text: the institutions' own names, the same in every language.
PLACE_NAMES = {"desa": "Balai Desa", "kelurahan": "Kantor Kelurahan"}
PLACE_NOTE = ("Tempat perekaman bawaan, dibuat otomatis dari data wilayah. Koordinat = titik desa/kelurahan, "
              "belum dipastikan di lapangan: ubah nama, alamat dan titiknya bila perlu.")
AUDIT_REASON = "Tempat perekaman bawaan desa/kelurahan (dibuat otomatis)."
CHUNK = 900  # codes per IN (...) list: under SQLite's parameter limit


@dataclass(frozen=True)
class DesaPoint:
    """What the rule needs of a desa: its names and every point it may stand at, best first."""
    kode: str
    nama: str
    kind: str
    points: tuple = ()  # ((lat, lng) or None, ...): region point, boundary point, kecamatan, kabupaten


@dataclass
class Outcome:
    created: list[int] = field(default_factory=list)  # site ids
    without_point: list[str] = field(default_factory=list)  # desa codes with no point anywhere up the tree


def place_values(desa: DesaPoint) -> Optional[dict]:
    """The new site's values for `desa`, or None when neither the desa nor its ancestors have a point."""
    point = next((p for p in desa.points if p is not None and None not in p), None)
    if point is None:
        return None
    name = PLACE_NAMES.get(desa.kind, PLACE_NAMES["desa"])
    return {"type": PLACE_TYPE, "nama": f"{name} {desa.nama}"[:200], "desa_kode": desa.kode,
            "lat": float(point[0]), "lng": float(point[1]), "coords_approximate": True, "address": "",
            "notes": PLACE_NOTE, **ancestors_of(desa.kode)}


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _area_clause(area_kode: Optional[str]):
    if area_kode is None:
        return sa.true()
    return sa.or_(Region.kode == area_kode, Region.kode.like(area_kode + ".%"))


def desa_without_place(area_kode: Optional[str]) -> list[str]:
    """Codes of the desa inside `area_kode` (None: everywhere) that have no balai desa site at all."""
    has_place = sa.exists().where(Site.desa_kode == Region.kode, Site.type == PLACE_TYPE)
    return list(db.session.scalars(sa.select(Region.kode).where(
        Region.level == "desa", _area_clause(area_kode), ~has_place).order_by(Region.kode)))


def _boundary_point(geojson: Optional[str]) -> Optional[tuple[float, float]]:
    if not geojson:
        return None
    from shapely.geometry import shape

    try:
        point = shape(json.loads(geojson)).representative_point()
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return (point.y, point.x) if not point.is_empty else None


def _desa_points(kodes: list[str]) -> list[DesaPoint]:
    """The desa with their candidate points, in a few queries (boundaries read only where a point is missing)."""
    rows = db.session.execute(sa.select(Region.kode, Region.nama, Region.kind, Region.lat, Region.lng,
                                        Region.kecamatan_kode, Region.kabupaten_kode)
                              .where(Region.kode.in_(kodes)).order_by(Region.kode)).all()
    missing = [r.kode for r in rows if r.lat is None or r.lng is None]
    boundary = {kode: _boundary_point(text) for kode, text in db.session.execute(
        sa.select(Region.kode, Region.boundary).where(Region.kode.in_(missing or [""]),
                                                      Region.has_boundary.is_(True)))}
    parents = sorted({r.kecamatan_kode for r in rows if r.kecamatan_kode}
                     | {r.kabupaten_kode for r in rows if r.kabupaten_kode})
    parent_point = {kode: (lat, lng) for kode, lat, lng in db.session.execute(
        sa.select(Region.kode, Region.lat, Region.lng).where(Region.kode.in_(parents or [""])))
        if lat is not None and lng is not None}
    return [DesaPoint(r.kode, r.nama, r.kind, ((r.lat, r.lng), boundary.get(r.kode),
                                              parent_point.get(r.kecamatan_kode), parent_point.get(r.kabupaten_kode)))
            for r in rows]


def _create(user, kodes: Iterable[str]) -> Outcome:
    """Create the places of `kodes` that still have none (rechecked under a lock on their region rows, so two
    planners of the same area at once create each place once); the caller commits."""
    from outreach.sites.service import create_sites

    outcome = Outcome()
    for part in _chunks(sorted(set(kodes))):
        # Lock the desa rows, then look again: a concurrent first use may have just made their places.
        db.session.execute(sa.select(Region.kode).where(Region.kode.in_(part)).order_by(Region.kode)
                           .with_for_update())
        taken = set(db.session.scalars(sa.select(Site.desa_kode).where(Site.desa_kode.in_(part),
                                                                       Site.type == PLACE_TYPE)))
        rows = []
        for desa in _desa_points([k for k in part if k not in taken]):
            values = place_values(desa)
            if values is None:
                outcome.without_point.append(desa.kode)
            else:
                rows.append(values)
        outcome.created += create_sites(user, rows, AUDIT_REASON)
    if outcome.without_point:
        log.warning("default places: %d desa have no point anywhere up the tree, e.g. %s",
                    len(outcome.without_point), ", ".join(outcome.without_point[:5]))
    return outcome


def create_default_places(user, area_kode: Optional[str] = None) -> Outcome:
    """Give every desa of `area_kode` (None: everywhere) that has no balai desa site its default place, and
    commit; running it again creates nothing."""
    if user is not None and not in_scope(user, area_kode):
        raise PermissionError(area_kode)
    outcome = Outcome()
    for part in _chunks(desa_without_place(area_kode), 5000):
        step = _create(user, part)
        outcome.created += step.created
        outcome.without_point += step.without_point
        db.session.commit()
    return outcome


def ensure_for_planning(user, area: Region) -> Outcome:
    """Before the planner loads `area` (already resolved in the user's scope): the desa with reachable
    backlog and no balai desa site get their default place, in one bulk insert, committed."""
    from outreach.ledger.queries import desa_accounts

    candidates = desa_without_place(area.kode)
    if not candidates:
        return Outcome()
    figures = desa_accounts(candidates)
    wanted = [k for k, f in figures.items() if (f.reachable_backlog or 0) > 0]
    if not wanted:
        return Outcome()
    outcome = _create(user, wanted)
    db.session.commit()
    return outcome


def what_to_add(area: Region) -> str:
    """What the coordinator should add when an area has nothing to plan, in the user's language."""
    desa_total, without_counts = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Region.wajib_ktp.is_(None)))
        .where(Region.level == "desa", _area_clause(area.kode))).one()
    if not desa_total:
        return _("Wilayah %(nama)s belum punya desa/kelurahan: impor data wilayah dengan "
                 "\"flask --app app import-regions BERKAS\" atau halaman Impor.", nama=area.nama)
    if without_counts:
        return _("%(n)s dari %(total)s desa/kelurahan di %(nama)s belum punya data SIAK: impor jumlah wajib KTP "
                 "dan sudah rekam dengan \"flask --app app import-targets BERKAS\" atau halaman Impor; tempat "
                 "perekaman bawaan tiap desa dibuat otomatis.", n=without_counts, total=desa_total, nama=area.nama)
    return _("Menurut data SIAK, semua wajib KTP di %(nama)s yang dapat dijangkau sudah terekam, sudah "
             "direncanakan, atau tercatat berada di luar daerah. Untuk pemilih pemula, impor jumlahnya per sekolah "
             "dengan \"flask --app app import-targets BERKAS\" (kolom npsn); atau tambahkan lokasi di halaman "
             "Lokasi.", nama=area.nama)
