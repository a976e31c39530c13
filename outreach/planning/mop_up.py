"""Who a mop-up session (sesi susulan) is for, taken from the turnout log of the session it follows.
Plain Python: no Flask, no database.

The absentees a mop-up proposes by default are the people who came to the session but could not be
recorded for a reason a return visit can fix: the kit or the network failed, or their data was not
found in SIAK (or the NIK was a duplicate) and can be put right before the team comes back. People
already recorded, under age or unwilling are not counted; nor are residents known to be away.
The planner may still type another number.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

# Not-recorded reasons (outreach.models.field.NOT_RECORDED_REASONS) a return visit can fix.
RETURN_VISIT_REASONS = ("gangguan_alat_jaringan", "tidak_ditemukan_siak")


@dataclass(frozen=True)
class Absentees:
    """The default absentees of a mop-up and where they come from, per not-recorded reason."""
    by_reason: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())

    def as_dict(self) -> dict:
        return {"total": self.total, "by_reason": dict(self.by_reason)}


def absentees_from_log(not_recorded: Optional[Mapping[str, int]]) -> Absentees:
    """The absentees a return visit can still record, from a log's not-recorded counts (None: no log)."""
    counts = not_recorded or {}
    return Absentees({reason: max(int(counts.get(reason) or 0), 0) for reason in RETURN_VISIT_REASONS})
