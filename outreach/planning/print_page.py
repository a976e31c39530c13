"""The printed schedule (A4, for kades/lurah and schools): whose schedule is printed, and its sessions
grouped by desa."""
from __future__ import annotations

from datetime import date
from typing import Iterable, Optional

from outreach import permissions
from outreach.models import Team
from outreach.models.planning import RecordingSession
from outreach.permissions import in_scope
from outreach.planning.errors import Invisible
from outreach.planning.site_scope import busiest_kecamatan, own_kecamatan, team_visible
from outreach.regions import picker
from outreach.regions.choices import kecamatan_choices


def print_focus(user, args, first: date, last: date, area_limit: int = picker.DEFAULT_SELECT_MAX
                ) -> tuple[Optional[str], Optional[Team], list, picker.AreaPicker]:
    """(kecamatan, team, kecamatan choices, area picker) of the printed schedule: a coordinator prints its
    kecamatan, a field user its team; managers and admins choose (default: the busiest kecamatan of the
    period), in one list or, for a scope with more kecamatan than `area_limit`, with the stepwise picker."""
    flat = picker.AreaPicker(stepwise=False)
    kecamatan = args.get("kecamatan") or None
    if kecamatan and (kecamatan.count(".") != 2 or not in_scope(user, kecamatan)):
        raise Invisible()
    team = None
    if permissions.is_field(user):
        team = user.team
        if team is None or (args.get("team") not in (None, "") and str(args.get("team")) != str(team.id)):
            raise Invisible()
        return None, team, [], flat
    if args.get("team") not in (None, ""):
        team = team_visible(user, args.get("team"))
        if team is None:
            raise Invisible()
    wide = permissions.sees_area_wide(user)
    stepwise = wide and picker.is_stepwise(user, "kecamatan", area_limit)
    choices = kecamatan_choices(user) if wide and not stepwise else []
    if permissions.is_coordinator(user):
        kecamatan = own_kecamatan(user)
    elif not kecamatan and team is None and not (stepwise and "kecamatan" in args):
        kecamatan = busiest_kecamatan(user, first, last) or (choices[0][0] if choices else None)
    if not stepwise:
        return kecamatan, team, choices, flat
    area = picker.build_picker(user, {"kecamatan": "kecamatan"}, {"kecamatan": kecamatan or ""}, area_limit,
                               picker.submitted_picks(args))
    return area.chosen("kecamatan") or None, team, [], area


def area_without_kecamatan(kecamatan: Optional[str], team: Optional[Team], area: picker.AreaPicker
                           ) -> Optional[str]:
    """The provinsi or kabupaten chosen in the stepwise picker when no kecamatan (nor team) is: the printed
    schedule then lists that area's sessions, not nothing."""
    if kecamatan or team is not None or not area.stepwise:
        return None
    return area.deepest() or None


def schedule_by_desa(sessions: Iterable[RecordingSession], names: dict) -> list[tuple[str, list]]:
    """[(desa name, sessions by date and time)] ordered by desa name, for the printed schedule."""
    groups: dict[str, list] = {}
    for s in sessions:
        groups.setdefault(s.desa_kode, []).append(s)
    out = []
    for kode, items in groups.items():
        items.sort(key=lambda s: (s.date, s.start_time, s.id))
        out.append((names.get(kode, kode), items))
    out.sort(key=lambda g: g[0])
    return out
