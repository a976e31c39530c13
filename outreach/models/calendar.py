"""The planning calendar: days the admin adds to (or corrects in) the `holidays` package's national days.

National public holidays and cuti bersama come from the `holidays` package by default; an entry
adds a day or a range (national, or one kabupaten/kota's), moves a package day (`replaces_date`), or
cancels package days (kind "bukan_libur"). The kinds and their rules live in
outreach.planning.calendar_rules.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import utcnow


class CalendarEntry(db.Model):
    """A day or range of days off: `region_kode` "" for the whole country, else a kabupaten/kota code."""
    __tablename__ = "calendar_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    first_date: Mapped[date] = mapped_column(sa.Date)
    last_date: Mapped[date] = mapped_column(sa.Date)
    name: Mapped[str] = mapped_column(sa.String(120))
    region_kode: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    # A package day this entry moves (an estimated Islamic holiday that fell on another day).
    replaces_date: Mapped[Optional[date]] = mapped_column(sa.Date, index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    created_by = relationship("User", foreign_keys=[created_by_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])

    __table_args__ = (
        # One entry per kind, region and first day: what the CSV import upserts on.
        sa.UniqueConstraint("kind", "region_kode", "first_date", name="uq_calendar_entry_kind_region_first"),
        # Entries overlapping a date range: first_date <= last AND last_date >= first.
        sa.Index("ix_calendar_entry_first_date_last_date", "first_date", "last_date"),
        sa.CheckConstraint("last_date >= first_date", name="dates_in_order"),
    )

    def __repr__(self) -> str:
        return f"<CalendarEntry {self.id} {self.kind} {self.region_kode or 'nasional'} {self.first_date}>"
