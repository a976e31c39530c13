"""What to offer when a session's team or kit is taken: the teams and kits free for the same slot, and the
nearest day on which the chosen team (with the chosen kits) is free at the same hours. Plain values in,
plain values out; the bookings and the site's calendar are loaded by outreach.planning.checks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Iterable, Optional

from outreach.planning.conflicts import (KIT_OVERLAP, KIT_TRAVEL, TEAM_OVERLAP, TEAM_TRAVEL, Booking, Slot,
                                         _strict_overlap, gap)

RESOURCE_KINDS = frozenset({TEAM_OVERLAP, TEAM_TRAVEL, KIT_OVERLAP, KIT_TRAVEL})
SEARCH_DAYS = 14


@dataclass(frozen=True)
class Alternatives:
    free_team_ids: tuple = ()
    free_kit_ids: tuple = ()
    next_slot: Optional[Slot] = None  # the nearest slot the chosen team and kits are free (None: none found)


def needs_alternatives(conflicts: Iterable) -> bool:
    """True when a team or a kit is taken (the conflicts a different team, kit or day resolves)."""
    return any(getattr(c, "kind", None) in RESOURCE_KINDS for c in conflicts)


def clashes(slot: Slot, booking: Booking, travel_buffer: timedelta) -> bool:
    """The booking holds its team and kits during `slot`, or too near it to travel between them."""
    return _strict_overlap(slot, booking.slot) or gap(slot, booking.slot) < travel_buffer


def free_resources(slot: Slot, bookings: Iterable[Booking], team_ids: Iterable[int], kit_ids: Iterable[int],
                   travel_buffer: timedelta) -> tuple[tuple, tuple]:
    """(team ids, kit ids) among the candidates that no booking holds at `slot`, in the order given."""
    busy_teams, busy_kits = set(), set()
    for b in bookings:
        if clashes(slot, b, travel_buffer):
            busy_teams.add(b.team_id)
            busy_kits |= set(b.kit_ids)
    return (tuple(t for t in team_ids if t not in busy_teams), tuple(k for k in kit_ids if k not in busy_kits))


def moved(slot: Slot, day: date) -> Slot:
    """The same hours (and length in days) starting on `day`."""
    end = day + (slot.last_date - slot.date) if slot.end_date else None
    return Slot(day, slot.start, slot.end, end)


def nearest_free_slot(slot: Slot, team_id: int, kit_ids: Iterable[int], bookings: Iterable[Booking],
                      travel_buffer: timedelta, open_day: Callable[[date], bool], earliest: date,
                      search_days: int = SEARCH_DAYS) -> Optional[Slot]:
    """The slot at the same hours on the nearest other day (later first on a tie, never before `earliest`)
    on which every day is open and neither the team nor any of the kits is booked; None within `search_days`."""
    kit_ids = set(kit_ids)
    holding = [b for b in bookings if b.team_id == team_id or (kit_ids & set(b.kit_ids))]
    for offset in range(1, search_days + 1):
        for day in (slot.date + timedelta(days=offset), slot.date - timedelta(days=offset)):
            if day < earliest:
                continue
            candidate = moved(slot, day)
            if all(open_day(d) for d in candidate.days()) and not any(
                    clashes(candidate, b, travel_buffer) for b in holding):
                return candidate
    return None
