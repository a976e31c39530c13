"""Helpers shared by the model modules."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Current time, timezone-aware UTC (never computed at import)."""
    return datetime.now(timezone.utc)
