"""Planner proposals: a stored "usulan jadwal" until the coordinator accepts its items.

Nothing becomes a session until it is accepted; accepting goes through outreach.planning.operations, so each
item passes the same conflict rules as a hand-made session.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import utcnow


class PlanProposal(db.Model):
    """One proposal: what was asked (`request`) and what the planner answered (`result`), both JSON."""
    __tablename__ = "plan_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    region_kode: Mapped[str] = mapped_column(sa.String(20), index=True)
    request: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    accepted_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    accepted_session_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    # What accepting did, kept for the page after a reload: {"created": [...], "refused": [...], "left_out": [...]}
    accept_outcome: Mapped[Optional[dict]] = mapped_column(sa.JSON)

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<PlanProposal {self.id} {self.region_kode}>"
