"""Values remembered per process: the one cache helper of the app.

Each entry is kept per database (the app, bench and test databases never share an entry) and is valid
as long as the data it was computed from is unchanged, which the caller tells in up to two ways:

- `fingerprint()`: a cheap tuple (counts, newest ids, sums SQL answers from indexes) compared on every
  call; a different tuple recomputes the value.
- `deep()` with `recheck` seconds: a dearer tuple (newest change times, a table scan) compared at most
  every `recheck` seconds; without `deep`, the entry simply expires after `recheck` seconds.

Least recently used entries are dropped beyond `entries`. Values are shared between requests: callers
must not change what they get. `ProcessCache.clear_all()` forgets every cache (tests, bench, after a
bulk change made outside the app).
"""
from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Optional

_NO_TUPLE: tuple = ()


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
            deep: Optional[Callable[[], tuple]] = None, recheck: Optional[float] = None) -> Any:
        """compute(), or the value remembered under `key` while `fingerprint()` (every call) and `deep()`
        (at most every `recheck` seconds) still give what they gave when it was computed."""
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
    from outreach.extensions import db

    return db.engine.url.render_as_string(hide_password=True)
