"""Recording sessions (jemput bola): when and where a team takes kits to the people.

The rules that decide what may be booked live in `outreach.planning` (conflicts, capacity,
workflow: plain Python); reading goes through `outreach.planning.queries`, writing through `.operations`.
The turnout log of a finished session points here by `session_id`.
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import utcnow
# The keys and labels of statuses, kinds and target groups live in outreach.vocab.
from outreach.vocab import CONFIRMATION_STATUSES, SESSION_KINDS, SESSION_STATUSES

# Sessions in these statuses hold their team and kits (a cancelled one frees them).
ACTIVE_STATUSES = ("rencana", "terkonfirmasi", "ditunda", "selesai")
# Sessions still to happen (or still waiting for their log): their expected turnout is the planned share.
OPEN_STATUSES = ("rencana", "terkonfirmasi", "ditunda")
# The pool a session's expected turnout is drawn from: its desa's reachable backlog, or the pemilih
# pemula still to record at a school with a counted pool.
POOLS = ("desa", "sekolah")
NOTES_MAX_CHARS = 2000
REASON_MAX_CHARS = 2000
# A multi-day session spans at most this many days; conflict look-ups rely on it for their date window.
MAX_SESSION_DAYS = 7


class SessionKit(db.Model):
    """A kit booked for a session. `date` copies the session's first day so a kit's bookings in a
    date window are one index range scan (kit_id, date), not a walk through all its sessions."""
    __tablename__ = "session_kit"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("recording_session.id", ondelete="CASCADE"),
                                            primary_key=True)
    kit_id: Mapped[int] = mapped_column(sa.ForeignKey("kit.id"), primary_key=True)
    date: Mapped[date] = mapped_column(sa.Date)

    session: Mapped["RecordingSession"] = relationship(back_populates="kit_links")
    kit: Mapped["Kit"] = relationship()  # noqa: F821

    __table_args__ = (sa.Index("ix_session_kit_kit_date", "kit_id", "date"),)


class RecordingSession(db.Model):
    """One planned (or held) jemput bola session at a site, possibly over several days.

    `start_time`–`end_time` apply on every day from `date` to `end_date` (None: one day).
    The region codes are copied from the site so scoping and roll-ups are equality filters.
    """
    __tablename__ = "recording_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"))
    desa_kode: Mapped[str] = mapped_column(sa.String(20), index=True)
    kecamatan_kode: Mapped[str] = mapped_column(sa.String(8))
    kabupaten_kode: Mapped[str] = mapped_column(sa.String(5))
    provinsi_kode: Mapped[str] = mapped_column(sa.String(2), index=True)
    date: Mapped[date] = mapped_column(sa.Date, index=True)
    end_date: Mapped[Optional[date]] = mapped_column(sa.Date)
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id"))
    kind: Mapped[str] = mapped_column(sa.String(12), default="perekaman")
    target_groups: Mapped[list] = mapped_column(sa.JSON, default=list)
    expected_turnout: Mapped[int] = mapped_column(sa.Integer, default=0)
    turnout_reasoning: Mapped[str] = mapped_column(sa.Text, default="")
    # Where the expected turnout is drawn from (POOLS): set by the ledger with the expected turnout.
    pool: Mapped[str] = mapped_column(sa.String(10), default="desa", server_default="desa")
    status: Mapped[str] = mapped_column(sa.String(14), default="rencana", index=True)
    confirmed_with: Mapped[str] = mapped_column(sa.String(120), default="")
    confirmed_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The site contact's answer to "Minta konfirmasi" (outreach.vocab.CONFIRMATION_STATUSES; None: never
    # asked). The signed public link carries `confirmation_nonce`: asking again makes a new one.
    confirmation_status: Mapped[Optional[str]] = mapped_column(sa.String(14))
    confirmation_nonce: Mapped[Optional[str]] = mapped_column(sa.String(32))
    confirmation_requested_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    confirmation_answered_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    confirmation_reminded_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    confirmation_proposed_date: Mapped[Optional[date]] = mapped_column(sa.Date)
    confirmation_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    override_reason: Mapped[str] = mapped_column(sa.Text, default="")
    mop_up_of_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("recording_session.id", ondelete="SET NULL"), index=True)
    # A mop-up's absentees (the people the earlier session missed): its expected turnout never exceeds them.
    mop_up_absentees: Mapped[Optional[int]] = mapped_column(sa.Integer)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    site: Mapped["Site"] = relationship()  # noqa: F821
    team: Mapped["Team"] = relationship()  # noqa: F821
    # Write kits through `kit_links` (outreach.planning.operations.set_kits does); `kits` is for reading.
    kit_links: Mapped[list[SessionKit]] = relationship(back_populates="session", cascade="all, delete-orphan")
    kits: Mapped[list["Kit"]] = relationship(  # noqa: F821
        secondary="session_kit", order_by="Kit.code", viewonly=True)
    created_by: Mapped[Optional["User"]] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    mop_up_of: Mapped[Optional["RecordingSession"]] = relationship(remote_side=[id])
    postponements: Mapped[list["SessionPostponement"]] = relationship(
        back_populates="session", order_by="SessionPostponement.at", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Conflict checks: the team's (or the site's) sessions in a date window.
        sa.Index("ix_recording_session_team_date", "team_id", "date"),
        sa.Index("ix_recording_session_site_date", "site_id", "date"),
        # Calendars and lists: a kecamatan's / kabupaten's sessions in a period.
        sa.Index("ix_recording_session_kecamatan_date", "kecamatan_kode", "date"),
        sa.Index("ix_recording_session_kabupaten_date", "kabupaten_kode", "date"),
        # Team figures: the period's sessions with their team, status and expected turnout (covering).
        sa.Index("ix_recording_session_date_team", "date", "team_id", "status", "expected_turnout", "id"),
        # Open sessions by date (overdue logs, planned school sessions; migration 0011); the cache's stamp.
        sa.Index("ix_recording_session_status_date_site", "status", "date", "site_id", "expected_turnout"),
        sa.Index("ix_recording_session_updated_at", "updated_at"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= date", name="dates_ordered"),
        sa.CheckConstraint("end_time > start_time", name="times_ordered"),
        sa.CheckConstraint("expected_turnout >= 0", name="turnout_nonneg"),
        sa.CheckConstraint("status IN (%s)" % ",".join(f"'{s}'" for s in SESSION_STATUSES), name="status_valid"),
        sa.CheckConstraint("kind IN (%s)" % ",".join(f"'{k}'" for k in SESSION_KINDS), name="kind_valid"),
        sa.CheckConstraint("pool IN ('desa','sekolah')", name="pool_valid"),
        sa.CheckConstraint("confirmation_status IS NULL OR confirmation_status IN (%s)"
                           % ",".join(f"'{s}'" for s in CONFIRMATION_STATUSES), name="confirmation_valid"),
    )

    @property
    def last_date(self) -> date:
        return self.end_date or self.date

    @property
    def kit_ids(self) -> list[int]:
        return sorted(k.id for k in self.kits)

    def __repr__(self) -> str:
        return f"<RecordingSession {self.id} {self.date} site={self.site_id} {self.status}>"


class SessionPostponement(db.Model):
    """One postponement: the slot a session had before it was moved (the history keeps the old date)."""
    __tablename__ = "session_postponement"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("recording_session.id", ondelete="CASCADE"), index=True)
    old_date: Mapped[date] = mapped_column(sa.Date)
    old_end_date: Mapped[Optional[date]] = mapped_column(sa.Date)
    old_start_time: Mapped[time] = mapped_column(sa.Time)
    old_end_time: Mapped[time] = mapped_column(sa.Time)
    new_date: Mapped[date] = mapped_column(sa.Date)
    new_end_date: Mapped[Optional[date]] = mapped_column(sa.Date)
    new_start_time: Mapped[time] = mapped_column(sa.Time)
    new_end_time: Mapped[time] = mapped_column(sa.Time)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    session: Mapped[RecordingSession] = relationship(back_populates="postponements")
    user = relationship("User")
