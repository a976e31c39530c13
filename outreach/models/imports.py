"""Large admin uploads processed in the background (outreach/imports/tasks.py): one row per uploaded file.

The file itself waits on disk under the upload folder (instance/uploads/<random>.bin, `stored_name`), never in
the database; the row says what to do with it (kind, the admin's choices), how far the runner is (phase,
done/total, heartbeat) and what came out (the report's counts and first problems, the ImportBatch).
One row lives through preview and apply: a finished preview ("selesai", not `commit`) is set back to
"menunggu" with `commit` when the admin presses Terapkan.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outreach.extensions import db
from outreach.models.base import utcnow
from outreach.vocab import IMPORT_TASK_STATES


class ImportTask(db.Model):
    """One uploaded file's way through the background runner: preview, then (when asked) the stored import."""
    __tablename__ = "import_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    # The admin's choices: {"jenjang": "SMA,SMK", "valid_only": true, "accept_points": false}.
    options: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The file's name in the upload folder (32 hex + ".bin"); None once it is deleted.
    stored_name: Mapped[Optional[str]] = mapped_column(sa.String(40))
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    commit: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # False: preview; True: store
    state: Mapped[str] = mapped_column(sa.String(10), default="menunggu")
    phase: Mapped[str] = mapped_column(sa.String(80), default="")  # a msgid ("Memeriksa baris"), translated when shown
    done: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    # Who runs it ("host:pid:random", outreach.jobs.lease.new_owner) and when it last said it is alive.
    owner: Mapped[Optional[str]] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    # The report: counts, the first problems (template + params), the refused rows' token, or the failure.
    result: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    batch_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("import_batch.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.CheckConstraint("state IN (%s)" % ",".join(f"'{s}'" for s in IMPORT_TASK_STATES),
                           name="state_valid"),
        sa.Index("ix_import_task_state_id", "state", "id"),
        sa.Index("ix_import_task_user_id", "user_id", "id"),
    )

    def __repr__(self) -> str:
        return f"<ImportTask {self.id} {self.kind} {self.state}>"
