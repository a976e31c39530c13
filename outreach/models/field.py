"""The turnout log a team writes after a recording session.

One `TurnoutLog` per `RecordingSession` (unique `session_id`). Counts are plain integer columns
(never JSON) so coverage can SUM them in SQL; the region codes and the session's first day are
copied from the session so roll-ups are equality filters plus a date range:

    SELECT desa_kode, SUM(recorded_total) FROM turnout_log
    WHERE session_date > :as_of GROUP BY desa_kode          -- "recorded since the SIAK export"

Column families (the JSON names of the API in brackets):
The keys of the families and the column of a key (recorded_column, ...) are outreach.vocab's:
- recorded by group      `recorded_<g>` for g in RECORDED_GROUPS      (recorded: {g: n})
- recorded by sex        `recorded_l`, `recorded_p`                    (recorded_by_sex: {L, P})
- `recorded_total` = sum of the groups = recorded_l + recorded_p (checked by the database too)
- not recorded by reason `not_recorded_<r>` for r in NOT_RECORDED_REASONS (not_recorded: {r: n})
- away learned by reason `away_<r>` for r in AWAY_REASONS             (away: {r: n})

Writes go through `outreach.field.operations` (idempotency, optimistic locking on `version`,
corrections window, audit trail, known-away and school figures moved exactly once).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.field.rules import IDEMPOTENCY_KEY_MAX_CHARS, as_utc, hours_worked
from outreach.models.base import utcnow
from outreach.vocab import (AWAY_REASONS, NOT_RECORDED_REASONS, RECORDED_GROUPS, SEXES, away_column,
                            not_recorded_column, recorded_column, sex_column)


# Every integer count column, in a stable order (audit diffs, fingerprints, SUM queries).
COUNT_COLUMNS = (
    tuple(recorded_column(g) for g in RECORDED_GROUPS)
    + tuple(sex_column(s) for s in SEXES)
    + tuple(not_recorded_column(r) for r in NOT_RECORDED_REASONS)
    + tuple(away_column(r) for r in AWAY_REASONS)
)


def _count() -> Mapped[int]:
    return mapped_column(sa.Integer, default=0, server_default="0")


def kit_hours_of(started_at: Optional[datetime], ended_at: Optional[datetime], kit_ids, tz) -> float:
    """Kits used × hours worked between the two times, taken in the office zone `tz` (naive: UTC)."""
    if started_at is None or ended_at is None:
        return 0.0
    hours = hours_worked(as_utc(started_at).astimezone(tz), as_utc(ended_at).astimezone(tz))
    return len(kit_ids or ()) * hours


def _kit_hours_default(context) -> float:
    from flask import current_app, has_app_context

    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    row = context.get_current_parameters()
    return kit_hours_of(row.get("started_at"), row.get("ended_at"), row.get("kit_ids"),
                        ZoneInfo(zone or "Asia/Jakarta"))


class TurnoutLog(db.Model):
    """The turnout of one session: who was recorded, who was not and why, who is known to be away."""
    __tablename__ = "turnout_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("recording_session.id", ondelete="CASCADE"), unique=True)
    # Copied from the session (scoping and roll-ups); session_date is the session's first day.
    desa_kode: Mapped[str] = mapped_column(sa.String(20))
    kecamatan_kode: Mapped[str] = mapped_column(sa.String(8))
    kabupaten_kode: Mapped[str] = mapped_column(sa.String(5))
    provinsi_kode: Mapped[str] = mapped_column(sa.String(2))
    session_date: Mapped[date] = mapped_column(sa.Date)

    recorded_pemilih_pemula: Mapped[int] = _count()
    recorded_umum: Mapped[int] = _count()
    recorded_lansia_disabilitas: Mapped[int] = _count()
    recorded_l: Mapped[int] = _count()
    recorded_p: Mapped[int] = _count()
    recorded_total: Mapped[int] = _count()

    not_recorded_tidak_ditemukan_siak: Mapped[int] = _count()
    not_recorded_sudah_rekam: Mapped[int] = _count()
    not_recorded_belum_cukup_umur: Mapped[int] = _count()
    not_recorded_gangguan_alat_jaringan: Mapped[int] = _count()
    not_recorded_tidak_bersedia: Mapped[int] = _count()

    away_luar_negeri: Mapped[int] = _count()
    away_sekolah_luar_daerah: Mapped[int] = _count()
    away_bekerja_luar_daerah: Mapped[int] = _count()
    away_pindah_meninggal: Mapped[int] = _count()
    away_lainnya: Mapped[int] = _count()

    # Actual times (UTC, timezone-aware); may span several days for a multi-day session.
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    ended_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    kit_ids: Mapped[list] = mapped_column(sa.JSON, default=list)  # kits actually used (Kit.id)
    # Kits used × hours worked (outreach.field.rules.hours_worked on the local times): the team figures
    # sum it from an index. outreach.field.operations sets it on save and correction; an insert that leaves it
    # out (a test builder, a bulk load) gets it computed from the row's own times and kits.
    kit_hours: Mapped[float] = mapped_column(sa.Float, default=_kit_hours_default,
                                             server_default="0")
    # Hours from the session's end (its last day at end_time, office zone) to the log's first store: a log
    # is late above LATE_LOG_HOURS. Set by outreach.field.operations on the first save (migration 0014); None for a
    # row loaded in bulk without it (counted as on time).
    hours_after_end: Mapped[Optional[float]] = mapped_column(sa.Float)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # The team said "yes, really" to a figure above what the kits could record in the hours worked.
    over_capacity_confirmed: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    # Client-made id of the first store and the SHA-256 of its canonical body: a retried send
    # with the same key and body answers with the stored log; the same key with another body is refused.
    idempotency_key: Mapped[str] = mapped_column(sa.String(IDEMPOTENCY_KEY_MAX_CHARS), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(sa.String(64))

    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    session: Mapped["RecordingSession"] = relationship(  # noqa: F821
        backref=sa.orm.backref("turnout_log", uselist=False, passive_deletes=True))
    created_by: Mapped[Optional["User"]] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    updated_by: Mapped[Optional["User"]] = relationship(foreign_keys=[updated_by_id])  # noqa: F821

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Coverage: "recorded since the as-of date" per desa / kecamatan / kabupaten.
        sa.Index("ix_turnout_log_desa_date", "desa_kode", "session_date"),
        sa.Index("ix_turnout_log_kecamatan_date", "kecamatan_kode", "session_date"),
        sa.Index("ix_turnout_log_kabupaten_date", "kabupaten_kode", "session_date"),
        sa.Index("ix_turnout_log_provinsi_date", "provinsi_kode", "session_date"),
        # Team figures: the period's logs with their session, recorded total and kit-hours (covering).
        sa.Index("ix_turnout_log_date_session", "session_date", "session_id", "recorded_total", "kit_hours",
                 "hours_after_end"),
        # Coverage (migration 0005): recounts per desa, the forecast's pace per kecamatan, "data per".
        sa.Index("ix_turnout_log_desa_date_total", "desa_kode", "session_date", "recorded_total"),
        sa.Index("ix_turnout_log_date_kecamatan_total", "session_date", "kecamatan_kode", "recorded_total"),
        sa.Index("ix_turnout_log_updated_at", "updated_at"),
        sa.CheckConstraint(" AND ".join(f"{c} >= 0" for c in COUNT_COLUMNS + ("recorded_total",)),
                           name="counts_nonneg"),
        sa.CheckConstraint(
            "recorded_total = recorded_pemilih_pemula + recorded_umum + recorded_lansia_disabilitas",
            name="total_by_group"),
        sa.CheckConstraint("recorded_total = recorded_l + recorded_p", name="total_by_sex"),
        sa.CheckConstraint("ended_at > started_at", name="times_ordered"),
    )

    # Plain views of the column families (JSON shape of the API).
    @property
    def recorded(self) -> dict:
        return {g: getattr(self, recorded_column(g)) or 0 for g in RECORDED_GROUPS}

    @property
    def recorded_by_sex(self) -> dict:
        return {s: getattr(self, sex_column(s)) or 0 for s in SEXES}

    @property
    def not_recorded(self) -> dict:
        return {r: getattr(self, not_recorded_column(r)) or 0 for r in NOT_RECORDED_REASONS}

    @property
    def away(self) -> dict:
        return {r: getattr(self, away_column(r)) or 0 for r in AWAY_REASONS}

    def __repr__(self) -> str:
        return f"<TurnoutLog {self.id} session={self.session_id} total={self.recorded_total} v{self.version}>"
