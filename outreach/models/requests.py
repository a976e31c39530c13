"""Visit requests: a resident's family, a school, an institution or an RT asks for a jemput bola visit.

The public form (`/permohonan`) and `POST /api/v1/public/requests` create them; the coordinator of the
kecamatan moves them through the queue (outreach.vocab.REQUEST_STATUSES). Personal data (the requester's
name, relation and phone, the address and the description of the condition) is kept only while the request
is open and erased by the housekeeping job a configurable number of days after it closes; the counts
(kind, people, desa, dates, status) stay. `phone_last4` stays with the code for the public status page.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import utcnow
from outreach.vocab import REQUEST_KINDS, REQUEST_STATUSES

# Sizes of the request's fields (the form, the API and the database agree on them).
REQUEST_ADDRESS_MAX = 300
REQUEST_DESCRIPTION_MAX = 500
REQUEST_NAME_MAX = 120
REQUEST_RELATION_MAX = 60
REQUEST_PHONE_MAX = 20
REQUEST_REASON_MAX = 500
REQUEST_PEOPLE_MAX = 2000


class VisitRequest(db.Model):
    __tablename__ = "visit_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The code the requester keeps (with the last 4 digits of the phone) to follow the request.
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    desa_kode: Mapped[str] = mapped_column(sa.ForeignKey("region.kode"), index=True)
    kecamatan_kode: Mapped[str] = mapped_column(sa.String(8))
    kabupaten_kode: Mapped[str] = mapped_column(sa.String(5))
    provinsi_kode: Mapped[str] = mapped_column(sa.String(2))
    rt: Mapped[Optional[int]] = mapped_column(sa.Integer)
    rw: Mapped[Optional[int]] = mapped_column(sa.Integer)
    people: Mapped[int] = mapped_column(sa.Integer, default=1)
    # Personal data: erased (set to "" / None) by housekeeping after the request is closed.
    address: Mapped[str] = mapped_column(sa.String(REQUEST_ADDRESS_MAX), default="")
    description: Mapped[str] = mapped_column(sa.String(REQUEST_DESCRIPTION_MAX), default="")
    requester_name: Mapped[str] = mapped_column(sa.String(REQUEST_NAME_MAX), default="")
    relation: Mapped[str] = mapped_column(sa.String(REQUEST_RELATION_MAX), default="")
    phone: Mapped[str] = mapped_column(sa.String(REQUEST_PHONE_MAX), default="")
    lat: Mapped[Optional[float]] = mapped_column(sa.Float)
    lng: Mapped[Optional[float]] = mapped_column(sa.Float)
    # Kept after erasure: the public status page asks for the code and these 4 digits.
    phone_last4: Mapped[str] = mapped_column(sa.String(4), default="")
    status: Mapped[str] = mapped_column(sa.String(14), default="baru")
    reason: Mapped[str] = mapped_column(sa.String(REQUEST_REASON_MAX), default="")
    source: Mapped[str] = mapped_column(sa.String(10), default="form")  # form / api
    session_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("recording_session.id", ondelete="SET NULL"), index=True)
    # The `rumah` site a home-visit request became (its people are the site's pool).
    site_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("site.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    reminded_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    erased_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    handled_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    desa: Mapped["Region"] = relationship(foreign_keys=[desa_kode])  # noqa: F821
    session: Mapped[Optional["RecordingSession"]] = relationship()  # noqa: F821
    site: Mapped[Optional["Site"]] = relationship()  # noqa: F821
    handled_by: Mapped[Optional["User"]] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # The queue of a kecamatan by status and age; the dashboard's and the map's waiting counts.
        sa.Index("ix_visit_request_kecamatan_status", "kecamatan_kode", "status", "created_at"),
        sa.Index("ix_visit_request_kabupaten_status", "kabupaten_kode", "status"),
        # Open requests per phone number (the abuse cap).
        sa.Index("ix_visit_request_phone_status", "phone", "status"),
        # Housekeeping: closed requests whose personal data is still kept.
        sa.Index("ix_visit_request_closed", "status", "closed_at"),
        sa.CheckConstraint("people >= 1", name="people_positive"),
        sa.CheckConstraint("status IN (%s)" % ",".join(f"'{s}'" for s in REQUEST_STATUSES),
                           name="status_valid"),
        sa.CheckConstraint("kind IN (%s)" % ",".join(f"'{k}'" for k in REQUEST_KINDS), name="kind_valid"),
    )

    @property
    def is_home_visit(self) -> bool:
        from outreach.vocab import HOME_VISIT_KINDS
        return self.kind in HOME_VISIT_KINDS

    def __repr__(self) -> str:
        return f"<VisitRequest {self.id} {self.code} {self.kind} {self.status}>"
