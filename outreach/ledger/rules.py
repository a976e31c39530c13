"""The rules of the ledger, in plain Python (no Flask, no database).

A desa's account (the SQL of outreach.regions.queries applies the same rules per desa):

    recorded_over_target   = max(official + recorded_since − wajib_ktp, 0)
    sudah_rekam_estimated  = official + recorded_since − recorded_over_target
    backlog                = wajib_ktp − sudah_rekam_estimated
    known_away_in_backlog  = min(known_away, backlog)
    menolak_in_backlog     = min(menolak, backlog − known_away_in_backlog)
    reachable_backlog      = backlog − known_away_in_backlog − menolak_in_backlog

The planned share: the open sessions drawing on a pool (a desa's reachable backlog, or a school's
pemilih pemula still to record) are served in the order they were planned (by id). Each expects the
lesser of what its kits can record (its capacity) and what the sessions planned before it left of the
pool, so the expected turnout of all of them never exceeds the pool. A pool of None (no official
figures yet) bounds nothing: each session expects its capacity.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence


@dataclass(frozen=True)
class DesaTerms:
    """One desa's account from its stored figures."""
    wajib_ktp: int
    official: int
    recorded_since: int = 0
    known_away: int = 0
    menolak: int = 0

    @property
    def recorded_over_target(self) -> int:
        return max(self.official + self.recorded_since - self.wajib_ktp, 0)

    @property
    def sudah_rekam_estimated(self) -> int:
        return self.official + self.recorded_since - self.recorded_over_target

    @property
    def backlog(self) -> int:
        return self.wajib_ktp - self.sudah_rekam_estimated

    @property
    def known_away_in_backlog(self) -> int:
        return min(max(self.known_away, 0), self.backlog)

    @property
    def menolak_in_backlog(self) -> int:
        return min(max(self.menolak, 0), self.backlog - self.known_away_in_backlog)

    @property
    def reachable_backlog(self) -> int:
        return self.backlog - self.known_away_in_backlog - self.menolak_in_backlog


@dataclass(frozen=True)
class Claim:
    """An open session drawing on a pool: its id (None: a session not saved yet) and its capacity."""
    session_id: Optional[int]
    capacity: int


def allocate(pool: Optional[int], claims: Sequence[Claim]) -> list[int]:
    """The expected turnout of each claim, in the order given: the lesser of its capacity and what the
    claims before it left of `pool` (None: unbounded)."""
    out = []
    left = None if pool is None else max(pool, 0)
    for claim in claims:
        want = max(claim.capacity, 0)
        share = want if left is None else min(want, left)
        if left is not None:
            left -= share
        out.append(share)
    return out


def claim_order(session_id: Optional[int]) -> tuple:
    """Sort key of the claims on a pool: saved sessions by id, a session not saved yet last."""
    return (session_id is None, session_id or 0)
