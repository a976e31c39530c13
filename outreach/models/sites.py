"""Sites: the places where recording sessions happen."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import utcnow

# Site types (keys and labels): outreach.vocab.SITE_TYPES. School levels are shown as their own names.
JENJANG_CHOICES = ("SD", "SMP", "SMA", "SMK", "SLB", "SDLB", "SMPLB", "SMLB", "MA", "MTs", "MI", "lainnya")


class Site(db.Model):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(20), index=True)
    nama: Mapped[str] = mapped_column(sa.String(200), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    desa_kode: Mapped[str] = mapped_column(sa.ForeignKey("region.kode"), index=True)
    kecamatan_kode: Mapped[str] = mapped_column(sa.String(8), index=True)
    kabupaten_kode: Mapped[str] = mapped_column(sa.String(5), index=True)
    provinsi_kode: Mapped[str] = mapped_column(sa.String(2), index=True)
    rt: Mapped[Optional[int]] = mapped_column(sa.Integer)
    rw: Mapped[Optional[int]] = mapped_column(sa.Integer)
    npsn: Mapped[Optional[str]] = mapped_column(sa.String(20), unique=True)
    jenjang: Mapped[Optional[str]] = mapped_column(sa.String(10))
    school_status: Mapped[Optional[str]] = mapped_column(sa.String(10))  # negeri / swasta
    lat: Mapped[float] = mapped_column(sa.Float)
    lng: Mapped[float] = mapped_column(sa.Float)
    coords_approximate: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    contact_name: Mapped[str] = mapped_column(sa.String(120), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # Days the site cannot host a session (school holidays, harvest, ...): "2026-12-20..2027-01-02, 2027-02-14".
    unavailable_dates: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Pemilih pemula of a school: copy of its newest TargetCount (history in TargetCount).
    pemilih_pemula: Mapped[Optional[int]] = mapped_column(sa.Integer)
    pemilih_pemula_recorded: Mapped[Optional[int]] = mapped_column(sa.Integer)
    pemilih_pemula_as_of: Mapped[Optional[date]] = mapped_column(sa.Date)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    desa: Mapped["Region"] = relationship(foreign_keys=[desa_kode])  # noqa: F821

    __table_args__ = (
        sa.Index("ix_site_lat_lng", "lat", "lng"),
        # Pemilih pemula figures from the index alone (migration 0005); the figures cache's stamp (0008).
        sa.Index("ix_site_school_pemilih_pemula", "type", "active", "kecamatan_kode", "pemilih_pemula",
                 "pemilih_pemula_recorded"),
        sa.Index("ix_site_updated_at", "updated_at"),
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lng BETWEEN -180 AND 180", name="coords_range"),
    )

    @property
    def pemilih_pemula_backlog(self) -> Optional[int]:
        if self.pemilih_pemula is None:
            return None
        return max(self.pemilih_pemula - (self.pemilih_pemula_recorded or 0), 0)

    def __repr__(self) -> str:
        return f"<Site {self.id} {self.nama}>"
