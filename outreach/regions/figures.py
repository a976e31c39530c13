"""Target figures of an area (no Flask): backlog, known away, reachable backlog, percentage."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Optional


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
    sudah_rekam: Optional[int] = None
    target_as_of: Optional[date] = None
    desa_with_targets: int = 0
    known_away_by_reason: dict = field(default_factory=dict)

    @property
    def known_away(self) -> int:
        return sum(self.known_away_by_reason.values())

    @property
    def backlog(self) -> Optional[int]:
        if self.wajib_ktp is None:
            return None
        return max(self.wajib_ktp - (self.sudah_rekam or 0), 0)

    @property
    def reachable_backlog(self) -> Optional[int]:
        """Backlog a team can actually reach: residents known to be away are not counted."""
        if self.backlog is None:
            return None
        return max(self.backlog - self.known_away, 0)

    @property
    def percent_recorded(self) -> Optional[float]:
        if not self.wajib_ktp:
            return None
        return round(100.0 * (self.sudah_rekam or 0) / self.wajib_ktp, 2)

    def as_dict(self) -> dict:
        out = asdict(self)
        out.update(known_away=self.known_away, backlog=self.backlog, reachable_backlog=self.reachable_backlog,
                   percent_recorded=self.percent_recorded,
                   target_as_of=self.target_as_of.isoformat() if self.target_as_of else None)
        return out
