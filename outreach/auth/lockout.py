"""Failed-login throttling: after N failures an account is locked for a while."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional


def _aware(dt: Optional[datetime]) -> Optional[datetime]:
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def is_locked(locked_until: Optional[datetime], now: datetime) -> bool:
    locked_until = _aware(locked_until)
    return locked_until is not None and locked_until > now


def after_failure(failures: int, now: datetime, max_failures: int, lock_minutes: int) -> tuple[int, Optional[datetime]]:
    """New (failures, locked_until) after one more failed attempt."""
    failures += 1
    if failures >= max_failures:
        return 0, now + timedelta(minutes=lock_minutes)
    return failures, None
