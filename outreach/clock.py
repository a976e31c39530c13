"""The one clock: which instant it is, and which day and hour it is where the offices work.

Every "now" and "today" in the product comes from here, never from `date.today()` (the server's own
zone, UTC on most servers: between 00.00 and 07.00 WIB it is still yesterday there) or a bare
`datetime.now()`. The office zone is BABEL_DEFAULT_TIMEZONE (Asia/Jakarta by default); outside an
app context it is Asia/Jakarta. Tests move this clock with `time_machine`, or the whole suite with
`make test-sqlite AT=...` (libfaketime), and every function here follows.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Jakarta"


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def local_tz() -> ZoneInfo:
    """The offices' time zone."""
    from flask import current_app, has_app_context

    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_ZONE)


def local_now() -> datetime:
    """The offices' wall-clock time, timezone-aware."""
    return datetime.now(local_tz())


def local_today() -> date:
    """Today where the offices work."""
    return local_now().date()
