"""Coverage figures of an area (no Flask): official and estimated sudah rekam, backlog, known away,
reachable backlog, percentage.

`sudah_rekam` is the official SIAK figure (latest import, as of `target_as_of`); `recorded_since` is
what turnout logs recorded after that date; the estimate adds the two, capped at wajib KTP per desa.
Backlog, reachable backlog and percentage use the estimate. The query (`outreach.regions.queries`)
fills `capped_estimated` / `capped_reachable` with per-desa capped sums, so a roll-up equals the sum
of its desa to the person; without them (an AreaFigures built by hand) the area-level formula applies.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Optional

# Internal fields left out of as_dict (their public values are the properties below).
_INTERNAL = ("capped_estimated", "capped_reachable")


@dataclass
class AreaFigures:
    kode: str
    nama: str
    level: str
    kind: str
    parent_kode: Optional[str]
    lat: Optional[float]
    lng: Optional[float]
    wajib_ktp: Optional[int] = None
    sudah_rekam: Optional[int] = None          # official (SIAK); kept under this name for older callers
    target_as_of: Optional[date] = None        # newest official as-of date among the area's desa
    desa_with_targets: int = 0
    known_away_by_reason: dict = field(default_factory=dict)
    recorded_since: int = 0                    # turnout logs after each desa's official as-of date
    capped_estimated: Optional[int] = None     # Σ per desa min(official + since, wajib)
    capped_reachable: Optional[int] = None     # Σ per desa max(wajib − estimated − known away, 0)

    @property
    def sudah_rekam_official(self) -> Optional[int]:
        return self.sudah_rekam

    @property
    def official_as_of(self) -> Optional[date]:
        return self.target_as_of

    @property
    def sudah_rekam_estimated(self) -> Optional[int]:
        """Official + recorded in the field since, never above wajib KTP."""
        if self.wajib_ktp is None:
            return None
        if self.capped_estimated is not None:
            return self.capped_estimated
        return min((self.sudah_rekam or 0) + (self.recorded_since or 0), self.wajib_ktp)

    @property
    def known_away(self) -> int:
        return sum(self.known_away_by_reason.values())

    @property
    def backlog(self) -> Optional[int]:
        if self.wajib_ktp is None:
            return None
        return max(self.wajib_ktp - (self.sudah_rekam_estimated or 0), 0)

    @property
    def backlog_official(self) -> Optional[int]:
        if self.wajib_ktp is None:
            return None
        return max(self.wajib_ktp - (self.sudah_rekam or 0), 0)

    @property
    def reachable_backlog(self) -> Optional[int]:
        """Backlog a team can actually reach: residents known to be away are not counted."""
        if self.backlog is None:
            return None
        if self.capped_reachable is not None:
            return self.capped_reachable
        return max(self.backlog - self.known_away, 0)

    @property
    def percent_recorded(self) -> Optional[float]:
        if not self.wajib_ktp:
            return None
        return round(100.0 * (self.sudah_rekam_estimated or 0) / self.wajib_ktp, 2)

    @property
    def percent_recorded_official(self) -> Optional[float]:
        if not self.wajib_ktp:
            return None
        return round(100.0 * (self.sudah_rekam or 0) / self.wajib_ktp, 2)

    def as_dict(self) -> dict:
        # Flat fields copied by hand: dataclasses.asdict deep-copies, which shows on a 576-row table.
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _INTERNAL}
        out["known_away_by_reason"] = dict(self.known_away_by_reason)
        as_of = self.target_as_of.isoformat() if self.target_as_of else None
        out.update(known_away=self.known_away, backlog=self.backlog, reachable_backlog=self.reachable_backlog,
                   percent_recorded=self.percent_recorded, target_as_of=as_of,
                   sudah_rekam_official=self.sudah_rekam_official, official_as_of=as_of,
                   sudah_rekam_estimated=self.sudah_rekam_estimated, backlog_official=self.backlog_official,
                   percent_recorded_official=self.percent_recorded_official)
        return out
