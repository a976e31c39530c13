"""The scheduler without its database (a restart, the network): tell a lost connection from a bug, drop the
pool's dead connections, and wait a little longer after each failure before trying again."""
from __future__ import annotations

import logging
import threading

import sqlalchemy as sa

log = logging.getLogger("outreach.jobs.scheduler")


def is_database_down(exc: BaseException) -> bool:
    """A lost or refused connection (a restart, the network), as opposed to a bug in a query."""
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)


class DatabaseBackoff:
    """Delays between tries while the database is away: doubling from `first` up to `most` seconds."""

    def __init__(self, first: float, most: float):
        self.first, self.most, self.failures = float(first), float(most), 0
        self._lock = threading.Lock()

    def failed(self) -> float:
        with self._lock:
            self.failures += 1
            return min(self.first * 2 ** (self.failures - 1), self.most)

    def ok(self) -> None:
        with self._lock:
            if self.failures:
                log.info("the database answers again")
            self.failures = 0


def backoff_of(app, scheduler) -> DatabaseBackoff:
    backoff = getattr(scheduler, "database_backoff", None)
    if backoff is None:
        backoff = scheduler.database_backoff = DatabaseBackoff(app.config["JOB_DB_RETRY_SECONDS"],
                                                               app.config["JOB_DB_RETRY_MAX_SECONDS"])
    return backoff


def database_lost(app, scheduler, exc: BaseException, what: str) -> float:
    """Log, drop the pool's (dead) connections, and return how long to wait before trying again."""
    from outreach.extensions import db

    delay = backoff_of(app, scheduler).failed()
    log.warning("database unavailable during %s (%s); trying again in %.0f s",
                what, str(exc).splitlines()[0] if str(exc) else type(exc).__name__, delay)
    with app.app_context():
        try:
            db.session.remove()
        except Exception:  # a session on a dead connection may fail to close: it is dropped anyway
            pass
        db.engine.dispose()
    return delay
