"""Background jobs: run claims (one row per job and slot), in-app notifications, daily coverage snapshots."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import utcnow
from outreach.vocab import JOB_STATUSES

# Kinds of in-app notification (never shown as a label: the title says what the message is).
NOTIFICATION_KINDS = ("reminder", "overdue", "digest", "info")


class JobRun(db.Model):
    """One job's claim on one time slot. The unique (job, slot) pair is what makes a run happen once."""
    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(40))
    slot: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))  # UTC
    trigger: Mapped[str] = mapped_column(sa.String(10), default="schedule")
    status: Mapped[str] = mapped_column(sa.String(10), default="claimed")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=1)
    claimed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    duration_seconds: Mapped[Optional[float]] = mapped_column(sa.Float)
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # The lease: who runs it now ("host:pid:random") and when that process last said it is alive. A run
    # whose heartbeat is older than JOB_LEASE_SECONDS died with its process and is taken over by a sweep.
    owner: Mapped[Optional[str]] = mapped_column(sa.String(120))
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.UniqueConstraint("job", "slot", name="uq_job_run_job_slot"),
        sa.CheckConstraint("status IN (%s)" % ",".join(f"'{s}'" for s in JOB_STATUSES), name="status_valid"),
        sa.Index("ix_job_run_status_claimed_at", "status", "claimed_at"),
    )

    def __repr__(self) -> str:
        return f"<JobRun {self.job} {self.slot} {self.status}>"


class Notification(db.Model):
    """An in-app message to one user (the bell). `ref` makes a job's message to a user unique."""
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20), default="info")
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[Optional[str]] = mapped_column(sa.String(300))
    # e.g. "overdue:session:12": a job that runs again never sends the same message twice.
    ref: Mapped[Optional[str]] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    # Set once the e-mail copy went out, so a retried job only mails what is still owed.
    emailed_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    user = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "ref", name="uq_notification_user_ref"),
        sa.Index("ix_notification_user_read", "user_id", "read_at"),
        sa.Index("ix_notification_read_at", "read_at"),
    )


class CoverageSnapshot(db.Model):
    """The ledger of one region on one date (the trend chart's points): every term of its figures."""
    __tablename__ = "coverage_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_kode: Mapped[str] = mapped_column(sa.ForeignKey("region.kode", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(sa.Date)
    wajib_ktp: Mapped[int] = mapped_column(sa.Integer)
    sudah_rekam_official: Mapped[int] = mapped_column(sa.Integer)
    official_as_of: Mapped[Optional[date]] = mapped_column(sa.Date)
    recorded_since: Mapped[int] = mapped_column(sa.Integer, default=0)
    recorded_over_target: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    sudah_rekam_estimated: Mapped[int] = mapped_column(sa.Integer)
    backlog: Mapped[int] = mapped_column(sa.Integer)
    known_away: Mapped[int] = mapped_column(sa.Integer, default=0)
    known_away_in_backlog: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    menolak: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    menolak_in_backlog: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    reachable_backlog: Mapped[int] = mapped_column(sa.Integer)
    planned: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("region_kode", "date", name="uq_coverage_snapshot_region_date"),
        sa.Index("ix_coverage_snapshot_date", "date"),
    )


class SharedValue(db.Model):
    """A value computed once and shared by every worker and restart (outreach.cache.SharedCache): pickled,
    under a key, with the stamp of the data it came from and when it was computed. Only the app writes
    these rows; any of them may be deleted at any time (it is computed again)."""
    __tablename__ = "shared_value"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    stamp: Mapped[str] = mapped_column(sa.String(200), default="")
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    value: Mapped[bytes] = mapped_column(sa.LargeBinary)
