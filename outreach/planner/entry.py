"""Where a planner is offered "Rencanakan sesi di sini": a desa with reachable backlog that no open
session is planned for yet, inside the planner's own area. Plain Python over AreaFigures."""
from __future__ import annotations

from typing import Optional

from outreach import permissions
from outreach.models.regions import level_of


def desa_to_plan(user, figures) -> Optional[str]:
    """The desa code the link plans for, or None when there is nothing to plan there for this user."""
    kode = getattr(figures, "kode", None)
    if not kode or level_of(kode) != "desa" or unplanned(figures) <= 0:
        return None
    return kode if permissions.can_plan_in(user, kode) else None


def unplanned(figures) -> int:
    """Reachable backlog not yet planned for: AreaFigures say it; a ranking row gives its two parts."""
    value = getattr(figures, "reachable_unplanned", None)
    if value is None:
        value = (getattr(figures, "reachable_backlog", None) or 0) - (getattr(figures, "planned", None) or 0)
    return value
