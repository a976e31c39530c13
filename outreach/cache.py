"""Values remembered per process (ProcessCache) or shared by every worker and restart (SharedCache): the
cache helpers of the app.

Each entry is kept per database (the app, bench and test databases never share an entry) and is valid
as long as the data it was computed from is unchanged, which the caller tells in up to two ways:

- `fingerprint()`: a cheap tuple (counts, newest ids, sums SQL answers from indexes) compared on every
  call; a different tuple recomputes the value.
- `deep()` with `recheck` seconds: a dearer tuple (newest change times, a table scan) compared at most
  every `recheck` seconds; without `deep`, the entry simply expires after `recheck` seconds.

When either says the data changed, `update(old_value, cheap_changed)` (if given) may compute the new value
from the old one (the map's point stores read only the rows changed since); it returns None when it cannot
(then the value is computed afresh), and must not change the old value: other requests may still hold it.

SharedCache keeps values in the database (table shared_value) for what a new worker's first request must
not compute again: a dashboard's panels of a province or of the whole country.

Least recently used entries of a ProcessCache are dropped beyond `entries`. Values are shared between requests: callers
must not change what they get. `ProcessCache.clear_all()` forgets every cache (tests, bench, after a
bulk change made outside the app).
"""
from __future__ import annotations

import logging
import pickle
import threading
import time
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Callable, Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from outreach import clock
from outreach.extensions import db
from outreach.models import SharedValue

_NO_TUPLE: tuple = ()
log = logging.getLogger(__name__)


@dataclass
class _Entry:
    cheap: tuple
    deep: tuple
    checked: float
    value: Any


class ProcessCache:
    _all: "weakref.WeakSet[ProcessCache]" = weakref.WeakSet()

    def __init__(self, entries: int = 256):
        self.entries = entries
        self._data: "OrderedDict[tuple, _Entry]" = OrderedDict()
        self._lock = threading.Lock()
        ProcessCache._all.add(self)

    def get(self, key: tuple, compute: Callable[[], Any], *, fingerprint: Optional[Callable[[], tuple]] = None,
            deep: Optional[Callable[[], tuple]] = None, recheck: Optional[float] = None,
            update: Optional[Callable[[Any, bool], Any]] = None) -> Any:
        """compute(), or the value remembered under `key` while `fingerprint()` (every call) and `deep()`
        (at most every `recheck` seconds) still give what they gave when it was computed; when they do not,
        `update(remembered value, whether the fingerprint changed)` before compute() when it gives None."""
        key = (_database(),) + key
        now = time.monotonic()
        cheap_now = fingerprint() if fingerprint else _NO_TUPLE
        with self._lock:
            entry = self._data.get(key)
        deep_now = None
        if entry is not None and entry.cheap == cheap_now:
            if recheck is None or now - entry.checked < recheck:
                return self._touch(key, entry)
            if deep is not None:
                deep_now = deep()
                if deep_now == entry.deep:
                    entry.checked = now
                    return self._touch(key, entry)
        if deep_now is None:
            deep_now = deep() if deep is not None else _NO_TUPLE
        value = update(entry.value, entry.cheap != cheap_now) if update is not None and entry is not None else None
        if value is None:
            value = compute()
        with self._lock:
            self._data[key] = _Entry(cheap_now, deep_now, now, value)
            self._data.move_to_end(key)
            while len(self._data) > self.entries:
                self._data.popitem(last=False)
        return value

    def _touch(self, key: tuple, entry: _Entry) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
        return entry.value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    @classmethod
    def clear_all(cls) -> None:
        for cache in list(cls._all):
            cache.clear()


def _database() -> str:
    """The database of the current app (hashable, password hidden)."""
    return db.engine.url.render_as_string(hide_password=True)


# ---------------------------------------------------------------- shared by every worker

_IN_SESSION: ContextVar[bool] = ContextVar("shared_cache_in_session", default=False)


class SharedCache:
    """Values kept in the database (outreach.models.SharedValue), shared by every worker and restart.

    `get(key, compute, stamp=, max_age=)` returns the stored value while it was stored with the same `stamp`
    (a text naming the data it came from: exact, e.g. the newest SIAK import) and is at most `max_age`
    seconds old (None: no age limit); else it computes, stores and returns it. The value is stored in a
    transaction of its own (a GET request's session stays untouched); when it cannot be stored (a locked
    SQLite file) it is simply computed again next time. Values are pickled: only the app writes the table.

    Setting SHARED_CACHE: True / False; unset (None): on for PostgreSQL, off for SQLite (one process serves
    the single-province default, whose ProcessCache suffices) and off in tests (TESTING), where a value left
    by an earlier test must not hide a change; tests of the cache turn it on."""

    @staticmethod
    def enabled() -> bool:
        setting = current_app.config.get("SHARED_CACHE")
        if setting is None:
            return not current_app.testing and db.engine.dialect.name == "postgresql"
        return bool(setting)

    @staticmethod
    def read(key: str):
        """(value, stamp, computed_at) stored under `key`, or None."""
        row = db.session.execute(sa.select(SharedValue.value, SharedValue.stamp, SharedValue.computed_at)
                                 .where(SharedValue.key == key)).first()
        if row is None:
            return None
        computed_at = row.computed_at
        if computed_at is not None and computed_at.tzinfo is None:
            computed_at = computed_at.replace(tzinfo=timezone.utc)
        try:
            return pickle.loads(row.value), row.stamp, computed_at
        except Exception:  # a value of an older version of the code: compute it again
            return None

    @staticmethod
    def store(key: str, value, stamp: str = "", computed_at=None) -> None:
        """Store `value` under `key`: in a transaction of its own, or inside `SharedCache.in_session()` (a job's
        writes) in the current session's, which the caller commits."""
        values = {"key": key, "stamp": stamp, "computed_at": computed_at or clock.utcnow(),
                  "value": pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)}
        insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(SharedValue).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=[SharedValue.key],
                                          set_={k: stmt.excluded[k] for k in ("stamp", "computed_at", "value")})
        if _IN_SESSION.get():
            db.session.execute(stmt)
            return
        try:
            with db.engine.begin() as conn:
                conn.execute(stmt)
        except sa.exc.DBAPIError as exc:
            log.info("shared value %s not stored: %s", key, exc)

    @staticmethod
    @contextmanager
    def in_session():
        """Values stored meanwhile go into the current session's transaction (a job, which commits its work;
        on SQLite a transaction of their own would wait for the job's own lock on the file)."""
        token = _IN_SESSION.set(True)
        try:
            yield
        finally:
            _IN_SESSION.reset(token)

    @classmethod
    def get(cls, key: str, compute: Callable[[], Any], *, stamp: str = "", max_age: Optional[float] = None) -> Any:
        if not cls.enabled():
            return compute()
        found = cls.read(key)
        if found is not None:
            value, stored_stamp, computed_at = found
            fresh = max_age is None or (computed_at is not None and
                                        (clock.utcnow() - computed_at).total_seconds() <= max_age)
            if stored_stamp == stamp and fresh:
                return value
        value = compute()
        cls.store(key, value, stamp)
        return value
