"""Regions (provinsi → kabupaten/kota → kecamatan → desa/kelurahan), their targets and known-away counts."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import utcnow
# The levels and away reasons (keys and labels) live in outreach.vocab.
from outreach.vocab import AWAY_REASONS


def level_of(kode: str) -> Optional[str]:
    """Level implied by a dotted Kemendagri code, or None when the shape is wrong."""
    parts = kode.split(".")
    widths = [len(p) for p in parts]
    shapes = {(2,): "provinsi", (2, 2): "kabupaten", (2, 2, 2): "kecamatan", (2, 2, 2, 4): "desa"}
    if not all(p.isdigit() for p in parts):
        return None
    return shapes.get(tuple(widths))


def kind_of(kode: str) -> Optional[str]:
    """kabupaten/kota or desa/kelurahan, derived from the code (Kemendagri numbering)."""
    level = level_of(kode)
    if level == "kabupaten":
        return "kota" if int(kode.split(".")[1]) >= 71 else "kabupaten"
    if level == "desa":
        return "kelurahan" if kode.split(".")[3].startswith("1") else "desa"
    return level


def ancestors_of(kode: str) -> dict:
    """The provinsi/kabupaten/kecamatan codes that contain `kode` (itself included)."""
    parts = kode.split(".")
    return {
        "provinsi_kode": parts[0],
        "kabupaten_kode": ".".join(parts[:2]) if len(parts) >= 2 else None,
        "kecamatan_kode": ".".join(parts[:3]) if len(parts) >= 3 else None,
    }


class Region(db.Model):
    __tablename__ = "region"

    kode: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    nama: Mapped[str] = mapped_column(sa.String(120), index=True)
    level: Mapped[str] = mapped_column(sa.String(10), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    parent_kode: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("region.kode"), index=True)
    # Denormalised ancestors: scoping and roll-ups become equality filters and GROUP BYs.
    provinsi_kode: Mapped[str] = mapped_column(sa.String(2), index=True)
    kabupaten_kode: Mapped[Optional[str]] = mapped_column(sa.String(5), index=True)
    kecamatan_kode: Mapped[Optional[str]] = mapped_column(sa.String(8), index=True)
    lat: Mapped[Optional[float]] = mapped_column(sa.Float)
    lng: Mapped[Optional[float]] = mapped_column(sa.Float)
    boundary: Mapped[Optional[str]] = mapped_column(sa.Text, deferred=True)  # GeoJSON geometry
    has_boundary: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # Official SIAK figures for a desa: copy of the newest TargetCount (history stays in TargetCount).
    wajib_ktp: Mapped[Optional[int]] = mapped_column(sa.Integer)
    sudah_rekam: Mapped[Optional[int]] = mapped_column(sa.Integer)
    target_as_of: Mapped[Optional[date]] = mapped_column(sa.Date)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    parent: Mapped[Optional["Region"]] = relationship(remote_side=[kode], back_populates="children")
    children: Mapped[list["Region"]] = relationship(back_populates="parent", order_by="Region.kode")

    __table_args__ = (
        sa.Index("ix_region_level_kabupaten", "level", "kabupaten_kode"),
        # Coverage (migration 0005): the desa's figures from the index alone; the figures cache's stamp.
        sa.Index("ix_region_coverage", "level", "kabupaten_kode", "kecamatan_kode", "kode", "provinsi_kode",
                 "wajib_ktp", "sudah_rekam", "target_as_of"),
        sa.Index("ix_region_updated_at", "updated_at"),
        # Maps (migration 0023): the regions drawn as their centroid in a view, and the count of a level's
        # boundaries, without reading the rows (whose boundary text a SQLite row would have to walk past).
        sa.Index("ix_region_level_point", "level", "has_boundary", "lng", "lat", "kode"),
    )

    def __repr__(self) -> str:
        return f"<Region {self.kode} {self.nama}>"


class TargetCount(db.Model):
    """One official count (SIAK export) for a desa, or a pemilih pemula count for a school site."""
    __tablename__ = "target_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    desa_kode: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("region.kode"), index=True)
    site_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    wajib_ktp: Mapped[int] = mapped_column(sa.Integer)
    sudah_rekam: Mapped[int] = mapped_column(sa.Integer)
    as_of: Mapped[date] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    batch_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("import_batch.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("wajib_ktp >= 0 AND sudah_rekam >= 0 AND sudah_rekam <= wajib_ktp", name="counts_valid"),
        sa.CheckConstraint("(desa_kode IS NULL) <> (site_id IS NULL)", name="one_subject"),
        sa.Index("ix_target_count_desa_as_of", "desa_kode", "as_of"),
    )


class KnownAway(db.Model):
    """Residents of a desa known to be away, by reason: not part of the reachable backlog."""
    __tablename__ = "known_away"

    id: Mapped[int] = mapped_column(primary_key=True)
    desa_kode: Mapped[str] = mapped_column(sa.ForeignKey("region.kode"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(20))
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("desa_kode", "reason", name="uq_known_away_desa_reason"),
        sa.Index("ix_known_away_desa_reason_count", "desa_kode", "reason", "count"),  # migration 0005
        sa.Index("ix_known_away_updated_at", "updated_at"),
        sa.CheckConstraint("count >= 0", name="count_nonneg"),
        sa.CheckConstraint("reason IN (%s)" % ", ".join(f"'{r}'" for r in AWAY_REASONS), name="reason_valid"),
    )


class DesaTally(db.Model):
    """Per desa, the sums the ledger needs from its turnout logs, known-away rows, refuser follow-ups and
    open sessions, kept by database triggers (migration 0012) in the same transaction as every write to
    turnout_log, known_away, refuser_followup, recording_session or a desa's region row, whichever way
    the write comes (ORM, bulk statement, cascade):

    - recorded_since: Σ recorded_total of the desa's logs dated after its official as-of date
      (region.target_as_of; a desa without official figures keeps all its logs). A new SIAK as-of date
      recounts the desa from its logs; a log moves the sum by its own figures.
    - menolak: Σ not_recorded_tidak_bersedia of the same logs (residents who refused), less the refusers
      followed up (refuser_followup rows dated after the as-of date).
    - known_away and away_<reason>: Σ known_away.count, in all and per reason.
    - planned: Σ expected_turnout of the desa's open sessions (rencana, terkonfirmasi, ditunda) that draw
      on the desa's pool (recording_session.pool = 'desa'): the planned share.

    A province's figures then read one row per desa instead of every log (outreach.regions.queries).
    `outreach.regions.tally.drift()` compares the rows with a count from scratch."""
    __tablename__ = "desa_tally"

    desa_kode: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    recorded_since: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    menolak: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    known_away: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    away_luar_negeri: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    away_sekolah_luar_daerah: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    away_bekerja_luar_daerah: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    away_pindah_meninggal: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    away_lainnya: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    planned: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    __table_args__ = {"sqlite_with_rowid": False}


class KecamatanTotals(db.Model):
    """Per kecamatan, its desa terms of the ledger already summed (one row of
    outreach.regions.queries._finest_totals at kecamatan level), so the figures of a province or the
    whole country add up ~7,000 rows instead of every desa (outreach.regions.rollup).

    Database triggers (migration 0024) bump `version` in the transaction of every write that moves a
    desa's terms (its desa_tally row, its official figures, its kecamatan, a desa added or removed); the
    rollup refresh recomputes stale rows and sets computed_version to the version it read. A row is fresh
    when computed_version = version; reads take the fresh rows and count the desa of stale ones, so a new
    turnout log shows at the very next request whether or not the refresh has run."""
    __tablename__ = "kecamatan_totals"

    kode: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    provinsi_kode: Mapped[Optional[str]] = mapped_column(sa.String(2))
    kabupaten_kode: Mapped[Optional[str]] = mapped_column(sa.String(5))
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    computed_version: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # version <> computed_version, stored: the database keeps statistics of a column (not of a comparison of
    # two), so it plans the desa of a few stale kecamatan as index look-ups.
    stale: Mapped[Optional[bool]] = mapped_column(sa.Boolean, sa.Computed("version <> computed_version",
                                                                          persisted=True))
    as_of: Mapped[Optional[date]] = mapped_column(sa.Date)
    as_of_first: Mapped[Optional[date]] = mapped_column(sa.Date)
    n: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    wajib: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    official: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    since: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    since_free: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    over: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    away_in: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    menolak_in: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    menolak: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    planned: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    away_luar_negeri: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    away_sekolah_luar_daerah: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    away_bekerja_luar_daerah: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    away_pindah_meninggal: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    away_lainnya: Mapped[Optional[int]] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.Index("ix_kecamatan_totals_kabupaten", "kabupaten_kode"),
        sa.Index("ix_kecamatan_totals_provinsi", "provinsi_kode"),
    )


class RefuserFollowup(db.Model):
    """Residents who refused to record (logged as tidak_bersedia) and were followed up by the
    coordinator (persuaded, visited again): they return to the reachable backlog of their desa."""
    __tablename__ = "refuser_followup"

    id: Mapped[int] = mapped_column(primary_key=True)
    desa_kode: Mapped[str] = mapped_column(sa.ForeignKey("region.kode"), index=True)
    count: Mapped[int] = mapped_column(sa.Integer)
    followed_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (sa.CheckConstraint("count > 0", name="count_positive"),)


class ImportBatch(db.Model):
    """One committed import (CLI or web), with its summary."""
    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id"))
    added: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated: Mapped[int] = mapped_column(sa.Integer, default=0)
    unchanged: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Rows refused one by one when only the valid rows were stored, and where the file listing them waits
    # (a random name among the admin uploads, kept for a day).
    refused: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    rejects_token: Mapped[Optional[str]] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
