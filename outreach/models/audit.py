"""Audit trail: who changed what, when, from which value to which."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[str] = mapped_column(sa.String(40))
    action: Mapped[str] = mapped_column(sa.String(40))
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {field: [old, new]}
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    user = relationship("User")

    __table_args__ = (sa.Index("ix_audit_entity", "entity", "entity_id"),)


def record_change(entity: str, entity_id, action: str, user_id: Optional[int], changes: dict, reason: str = "") -> AuditEntry:
    """Add an audit row to the session (the caller commits)."""
    entry = AuditEntry(entity=entity, entity_id=str(entity_id), action=action, user_id=user_id,
                       changes=changes, reason=reason)
    db.session.add(entry)
    return entry


def diff(obj, fields, new_values: dict) -> dict:
    """{field: [old, new]} for the fields whose value changes; JSON-friendly."""
    out = {}
    for f in fields:
        if f in new_values:
            old, new = getattr(obj, f), new_values[f]
            if old != new:
                out[f] = [_plain(old), _plain(new)]
    return out


def _plain(v):
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v
