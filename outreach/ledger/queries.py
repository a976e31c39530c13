"""The ledger's reads: the pools sessions draw on and the open sessions drawing on them."""
from __future__ import annotations

from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from outreach.extensions import db
from outreach.models import Region, Site
from outreach.models.planning import OPEN_STATUSES, RecordingSession
from outreach.regions import queries as rq
from outreach.regions.figures import AreaFigures

DESA, SEKOLAH = "desa", "sekolah"


def pool_of(site: Site) -> str:
    """The pool a session at `site` draws on: the school's pemilih pemula when counted, else its desa's."""
    return SEKOLAH if site.type == "sekolah" and site.pemilih_pemula is not None else DESA


def pool_key(site: Site) -> tuple:
    """(pool, its code): ("sekolah", site id) or ("desa", desa code)."""
    return (SEKOLAH, site.id) if pool_of(site) == SEKOLAH else (DESA, site.desa_kode)


def desa_accounts(desa_kodes: Iterable[str]) -> dict[str, AreaFigures]:
    """The ledger of each desa (outreach.regions.figures), by code; unknown codes are left out."""
    kodes = sorted(set(desa_kodes))
    if not kodes:
        return {}
    regions = []
    for i in range(0, len(kodes), 900):
        regions += db.session.execute(
            sa.select(Region.kode, Region.nama, Region.level, Region.kind, Region.parent_kode, Region.lat,
                      Region.lng).where(Region.kode.in_(kodes[i:i + 900]), Region.level == "desa")).all()
    return rq.figures_for(regions)


def open_sessions(*, desa_kodes: Iterable[str] = (), site_ids: Iterable[int] = ()) -> list[RecordingSession]:
    """Open sessions (rencana, terkonfirmasi, ditunda) in the desa or at the sites given, with their site and
    kits, by id."""
    desa_kodes, site_ids = sorted(set(desa_kodes)), sorted(set(site_ids))
    if not desa_kodes and not site_ids:
        return []
    RS = RecordingSession
    out: dict[int, RecordingSession] = {}
    for column, values in ((RS.desa_kode, desa_kodes), (RS.site_id, site_ids)):
        for i in range(0, len(values), 900):
            stmt = (sa.select(RS).where(RS.status.in_(OPEN_STATUSES), column.in_(values[i:i + 900]))
                    .options(selectinload(RS.site), selectinload(RS.kit_links)))
            for s in db.session.scalars(stmt):
                out[s.id] = s
    return [out[k] for k in sorted(out)]


LOCK_CHUNK = 10_000  # codes or ids per statement when locking pools
INSERT_CHUNK = 1_000  # tally rows per INSERT (each row sends every column's default: ~10 parameters)


def lock_pools(desa_kodes: Iterable[str], site_ids: Iterable[int]) -> None:
    """On PostgreSQL, lock the pools' rows (a desa's tally row, a school's site row) for this transaction, so
    two writers sharing out one pool take turns. SQLite serialises writers already."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    from outreach.models import DesaTally

    desa_kodes, site_ids = sorted(set(desa_kodes)), sorted(set(site_ids))
    # In sorted chunks (a national SIAK import shares out all 83,762 desa: one IN would pass PostgreSQL's
    # 65,535 parameters), so every writer still takes the locks in the same order.
    for i in range(0, len(desa_kodes), LOCK_CHUNK):
        db.session.execute(sa.select(DesaTally.desa_kode).where(DesaTally.desa_kode.in_(desa_kodes[i:i + LOCK_CHUNK]))
                           .order_by(DesaTally.desa_kode).with_for_update())
    for i in range(0, len(site_ids), LOCK_CHUNK):
        db.session.execute(sa.select(Site.id).where(Site.id.in_(site_ids[i:i + LOCK_CHUNK])).order_by(Site.id)
                           .with_for_update())


def claim_pools_first(desa_kodes: Iterable[str], site_ids: Iterable[int] = ()) -> None:
    """Lock the pools a write will share out again BEFORE it locks its own session (PostgreSQL), creating
    a desa's tally row when it has none yet. Sharing out a pool updates every open session on it; a writer
    that locked one of those sessions first and then waited for the pool (the tally row, which the first
    log of a desa creates) would deadlock with the writer sharing out."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy.dialects.postgresql import insert

    from outreach.models import DesaTally

    desa_kodes = sorted(set(desa_kodes))
    for i in range(0, len(desa_kodes), INSERT_CHUNK):
        db.session.execute(insert(DesaTally).values([{"desa_kode": k} for k in desa_kodes[i:i + INSERT_CHUNK]])
                           .on_conflict_do_nothing(index_elements=["desa_kode"]))
    lock_pools(desa_kodes, site_ids)


def region_name(kode: str) -> Optional[str]:
    return db.session.scalar(sa.select(Region.nama).where(Region.kode == kode))


def home_visit_people(site_ids: Iterable[int]) -> dict[int, int]:
    """{site id: people} of the `rumah` sites made for home-visit requests (the requests not refused): a
    session there expects no more people than the request names."""
    from outreach.models import VisitRequest

    ids = sorted(set(site_ids))
    out: dict[int, int] = {}
    for i in range(0, len(ids), 900):
        rows = db.session.execute(
            sa.select(VisitRequest.site_id, sa.func.sum(VisitRequest.people))
            .where(VisitRequest.site_id.in_(ids[i:i + 900]), VisitRequest.status != "ditolak")
            .group_by(VisitRequest.site_id)).all()
        out.update((site_id, int(people)) for site_id, people in rows)
    return out
