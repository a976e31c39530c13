"""The ledger of an area (no Flask): every term of its coverage figures, each a sum over its desa.

Per desa (the rules; outreach.ledger.rules spells them out in Python, outreach.regions.queries in SQL):

    recorded_over_target   = max(sudah_rekam_official + recorded_since − wajib_ktp, 0)
    sudah_rekam_estimated  = sudah_rekam_official + recorded_since − recorded_over_target
    backlog                = wajib_ktp − sudah_rekam_estimated
    known_away_in_backlog  = min(known_away, backlog)
    menolak_in_backlog     = min(menolak, backlog − known_away_in_backlog)
    reachable_backlog      = backlog − known_away_in_backlog − menolak_in_backlog
    planned                = Σ expected turnout of the desa's open sessions (never above the reachable)

An area's figures are the sums of its desa's terms, so the same identities hold at every level, exactly:
a kecamatan's backlog is its wajib KTP less its estimate, to the person. `recorded_since` and the terms
built on it count only desa with official SIAK figures; logs in desa without them are
`recorded_without_target` (shown apart, in no other term).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Optional

# Fields kept as plain sums; the derived terms are properties (see as_dict).
_DERIVED = ("sudah_rekam_estimated", "backlog", "known_away", "reachable_backlog", "reachable_unplanned",
            "backlog_official", "percent_recorded", "percent_recorded_official")


@dataclass
class AreaFigures:
    kode: str
    nama: str
    level: str
    kind: str
    parent_kode: Optional[str]
    lat: Optional[float]
    lng: Optional[float]
    wajib_ktp: Optional[int] = None            # Σ over the desa with official figures (None: no such desa)
    sudah_rekam_official: Optional[int] = None  # Σ official SIAK sudah rekam (newest import of each desa)
    official_as_of: Optional[date] = None       # newest official as-of date among the area's desa
    official_as_of_first: Optional[date] = None  # oldest one (differs when desa were imported apart)
    desa_with_targets: int = 0
    recorded_since: int = 0                    # turnout logs after each desa's official as-of date
    recorded_over_target: int = 0              # the part of recorded_since above a desa's wajib KTP
    recorded_without_target: int = 0           # logs in desa without official figures (in no other term)
    known_away_by_reason: dict = field(default_factory=dict)
    known_away_in_backlog: int = 0
    menolak: int = 0                           # refused to record (logs since the as-of), not followed up
    menolak_in_backlog: int = 0
    planned: int = 0                           # expected turnout of open sessions drawing on the desa pools

    # Older names of two fields, still read by some templates.
    @property
    def sudah_rekam(self) -> Optional[int]:
        return self.sudah_rekam_official

    @property
    def target_as_of(self) -> Optional[date]:
        return self.official_as_of

    @property
    def sudah_rekam_estimated(self) -> Optional[int]:
        """Official + recorded in the field since, less what the logs recorded above the target."""
        if self.wajib_ktp is None:
            return None
        return (self.sudah_rekam_official or 0) + self.recorded_since - self.recorded_over_target

    @property
    def backlog(self) -> Optional[int]:
        if self.wajib_ktp is None:
            return None
        return self.wajib_ktp - self.sudah_rekam_estimated

    @property
    def backlog_official(self) -> Optional[int]:
        if self.wajib_ktp is None:
            return None
        return self.wajib_ktp - (self.sudah_rekam_official or 0)

    @property
    def known_away(self) -> int:
        return sum(self.known_away_by_reason.values())

    @property
    def reachable_backlog(self) -> Optional[int]:
        """Backlog a team can actually reach: residents known to be away and refusers are not counted."""
        if self.backlog is None:
            return None
        return self.backlog - self.known_away_in_backlog - self.menolak_in_backlog

    @property
    def reachable_unplanned(self) -> Optional[int]:
        """Reachable backlog no open session is planned for yet."""
        if self.reachable_backlog is None:
            return None
        return max(self.reachable_backlog - self.planned, 0)

    @property
    def percent_recorded(self) -> Optional[float]:
        if not self.wajib_ktp:
            return None
        return round(100.0 * (self.sudah_rekam_estimated or 0) / self.wajib_ktp, 2)

    @property
    def percent_recorded_official(self) -> Optional[float]:
        if not self.wajib_ktp:
            return None
        return round(100.0 * (self.sudah_rekam_official or 0) / self.wajib_ktp, 2)

    def as_dict(self) -> dict:
        # Flat fields copied by hand: dataclasses.asdict deep-copies, which shows on a 576-row table.
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["known_away_by_reason"] = dict(self.known_away_by_reason)
        for name in ("official_as_of", "official_as_of_first"):
            out[name] = out[name].isoformat() if out[name] else None
        out.update({name: getattr(self, name) for name in _DERIVED})
        # Older names, kept for API clients.
        out.update(sudah_rekam=self.sudah_rekam_official, target_as_of=out["official_as_of"])
        return out
