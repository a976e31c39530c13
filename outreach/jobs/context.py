"""What a job function receives: its slot (the time it runs for) and the settings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Mapping
from zoneinfo import ZoneInfo


def timezone_of(config: Mapping) -> ZoneInfo:
    """The zone the schedules and the business dates are in (WIB for Jawa Tengah)."""
    return ZoneInfo(config.get("SCHEDULER_TIMEZONE") or config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Jakarta")


def as_utc(value: datetime) -> datetime:
    """Aware UTC datetime; a naive one (SQLite gives those back) is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class JobContext:
    job: str
    slot: datetime          # aware UTC: the moment this run stands for (not the wall clock)
    tz: ZoneInfo
    config: Mapping
    trigger: str = "cli"

    @property
    def local(self) -> datetime:
        return self.slot.astimezone(self.tz)

    @property
    def day(self) -> date:
        """The business date of the slot, in local time."""
        return self.local.date()

    def setting(self, key: str, default=None):
        return self.config.get(key, default)
