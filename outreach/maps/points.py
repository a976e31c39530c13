"""Sites and sessions in memory for the map: vectorised bbox/scope/filters and grid clustering (pure, numpy).

At province scale (60,000 sites) a GROUP BY per pan costs SQLite 50–200 ms; the same grid clustering on
numpy arrays costs a few milliseconds. The store holds only what the clustering needs (id, position,
type, region codes); names, desa and sessions of the points actually sent come from the database.
`outreach.maps.queries.site_store` builds it once and patches it with the rows changed since (`patched`).
"""
from __future__ import annotations

from datetime import date
from typing import Iterable, Optional, Sequence

import numpy as np

from outreach.maps import clustering
from outreach.maps.bbox import BBox

_PREFIX_COLUMN = {1: "provinsi", 2: "kabupaten", 3: "kecamatan", 4: "desa"}
_CODE_LEVELS = ("desa", "kecamatan", "kabupaten", "provinsi")
CHUNK = 100_000


def columns(rows: Iterable[Sequence], width: int) -> list[np.ndarray]:
    """The rows' columns as object arrays, gathered CHUNK rows at a time: a million sessions never sit in
    memory as a million tuples (their memory would stay with the worker after the store is built)."""
    parts: list[list[np.ndarray]] = [[] for _ in range(width)]
    chunk: list = []

    def flush():
        if chunk:
            for n, column in enumerate(zip(*chunk)):
                parts[n].append(np.array(column, dtype=object))
            chunk.clear()

    for row in rows:
        chunk.append(tuple(row))
        if len(chunk) >= CHUNK:
            flush()
    flush()
    return [np.concatenate(p) if p else np.zeros(0, dtype=object) for p in parts]


class Codes:
    """A column of region codes kept as int32 indexes into its sorted distinct values: 4 bytes a row instead
    of a 52-byte numpy string (a national session store holds four such columns of a million rows)."""

    def __init__(self, codes: np.ndarray):
        values = np.array([c or "" for c in codes], dtype=str)
        self.values, index = np.unique(values, return_inverse=True)
        self.index = _frozen(index.reshape(-1).astype(np.int32))

    @classmethod
    def of(cls, values: np.ndarray, index: np.ndarray) -> "Codes":
        codes = cls.__new__(cls)
        codes.values, codes.index = values, _frozen(index)
        return codes

    def patched(self, patch: "_Patch", new: "Codes") -> "Codes":
        """These codes with `new`'s rows placed by `patch` (self itself when nothing differs)."""
        values, old_map, new_map = _merged_values(self.values, new.values)
        old_index = self.index if old_map is None else old_map[self.index].astype(np.int32)
        index = patch.column(old_index, new_map[new.index].astype(np.int32))
        return self if index is self.index else Codes.of(values, index)

    def permuted(self, order: np.ndarray) -> "Codes":
        return Codes.of(self.values, self.index[order])

    def equals(self, code: str) -> np.ndarray:
        at = int(np.searchsorted(self.values, code))
        if at < len(self.values) and self.values[at] == code:
            return self.index == at
        return np.zeros(len(self.index), dtype=bool)


# ---------------------------------------------------------------- following changes (patches)
#
# A store is never changed in place (requests share it): a patch builds a NEW store from the old one's
# arrays with the changed rows replaced and the new ones appended. Stores keep their rows sorted by id, so
# a row is found by binary search; an array no changed row differs in is shared with the old store (every
# array is read-only). `newest_change` is the newest updated_at the store has seen (set by its builder).


def _newest(a, b):
    return b if a is None else a if b is None else max(a, b)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _merged_values(old: np.ndarray, new: np.ndarray):
    """(values, old_map, new_map): the sorted union of two sorted dictionaries and where each old and new
    value lands in it (old_map None: the old values are the union, indexes unchanged)."""
    at = np.searchsorted(old, new)
    if bool(np.all(old[np.minimum(at, len(old) - 1)] == new)) if len(old) else not len(new):
        return old, None, at  # the usual case: no value the store does not know yet (no sort of 80,000 codes)
    values = np.union1d(old, new)
    return values, np.searchsorted(values, old), np.searchsorted(values, new)


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Row of each of `ids` in `sorted_ids` (-1 when absent)."""
    if len(sorted_ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    at = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
    return np.where(sorted_ids[at] == ids, at, -1)


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = a != b
    if a.dtype.kind == "f":
        d &= ~(np.isnan(a) & np.isnan(b))
    return d


class _Patch:
    """Where the rows of a small store (the changed rows, sorted by id) go in a big one sorted by id: over
    the row of the same id, or appended. Counts the rows whose values actually differ."""

    def __init__(self, ids: np.ndarray, new_ids: np.ndarray):
        at = _positions(ids, new_ids)
        self.replaced = at >= 0
        self.at = at[self.replaced]
        self.appended = ~self.replaced
        self.changed = self.appended.copy()
        added = new_ids[self.appended]
        self.still_sorted = len(added) == 0 or len(ids) == 0 or added[0] > ids[-1]

    def column(self, old: np.ndarray, new: np.ndarray) -> np.ndarray:
        """`old` with `new`'s values over their rows and the new rows appended (`old` itself when no
        value differs and nothing is appended)."""
        differs = _differs(old[self.at], new[self.replaced])
        self.changed[self.replaced] |= differs
        if not differs.any() and not self.appended.any():
            return old
        out = old.copy()
        out[self.at] = new[self.replaced]
        return _frozen(np.concatenate([out, new[self.appended]]))

    @property
    def rows_changed(self) -> int:
        return int(self.changed.sum())


def _sort_by_id(store, names: Sequence[str]) -> None:
    """Put a store being built in id order (already so when built from a table read in id order) and make
    its arrays read-only."""
    ids = store.ids
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        order = np.argsort(ids, kind="stable")
        for name in names:
            setattr(store, name, getattr(store, name)[order])
        store.codes = {level: codes.permuted(order) for level, codes in store.codes.items()}
    for name in names:
        _frozen(getattr(store, name))


def _patched(old, new, names: Sequence[str]):
    """A bare store of old's class: old's rows with `new`'s (a store of the changed rows) over them or
    appended, for the arrays `names` and the region codes; and the _Patch (its sortedness, changed rows)."""
    patch = _Patch(old.ids, new.ids)
    out = object.__new__(type(old))
    for name in names:
        setattr(out, name, patch.column(getattr(old, name), getattr(new, name)))
    out.codes = {level: codes.patched(patch, new.codes[level]) for level, codes in old.codes.items()}
    return out, patch


def area_codes(code_columns: Sequence[np.ndarray]) -> dict[str, Codes]:
    """{level: Codes} from the desa, kecamatan, kabupaten and provinsi code columns."""
    return {level: Codes(column) for level, column in zip(_CODE_LEVELS, code_columns)}


class PointStore:
    _ARRAYS = ("ids", "lat", "lng", "active")

    def __init__(self, rows: Iterable[Sequence], newest_change=None):
        """rows: (id, lat, lng, type, desa_kode, kecamatan_kode, kabupaten_kode, provinsi_kode, active)."""
        c = columns(rows, 9)
        self.types: list[str] = sorted(set(c[3].tolist()))
        self.ids = c[0].astype(np.int64)
        self.lat = c[1].astype(np.float64)
        self.lng = c[2].astype(np.float64)
        self.type = np.searchsorted(np.array(self.types, dtype=object), c[3]).astype(np.int16) if len(c[3]) \
            else np.zeros(0, dtype=np.int16)
        self.codes = area_codes(c[4:8])
        self.active = c[8].astype(bool)
        self.newest_change = newest_change
        self.rows_changed = len(self.ids)
        _sort_by_id(self, self._ARRAYS + ("type",))

    def __len__(self) -> int:
        return len(self.ids)

    def patched(self, rows: Iterable[Sequence], newest_change=None) -> "PointStore":
        """A new store: this one with `rows` (the constructor's shape) over the rows of the same id, the
        others appended. Its `rows_changed` says how many rows differ from this store's."""
        new = PointStore(rows)
        out, patch = _patched(self, new, self._ARRAYS)
        names = np.array(self.types, dtype=str)
        values, old_map, new_map = _merged_values(names, np.array(new.types, dtype=str))
        old_type = self.type if old_map is None else old_map[self.type].astype(np.int16)
        out.type = patch.column(old_type, new_map[new.type].astype(np.int16) if len(new.type) else new.type)
        out.types = [str(v) for v in values]
        if not patch.still_sorted:
            _sort_by_id(out, self._ARRAYS + ("type",))
        out.newest_change = _newest(self.newest_change, newest_change)
        out.rows_changed = patch.rows_changed
        return out

    def keeps_rows_of(self, other: "PointStore") -> bool:
        """Whether every row of `other` sits at the same row here (a patch that only replaced or appended)."""
        n = len(other.ids)
        return len(self.ids) >= n and (self.ids is other.ids or np.array_equal(self.ids[:n], other.ids))

    def select(self, bbox: BBox, prefix: Optional[str] = None, site_type: Optional[str] = None) -> np.ndarray:
        """Boolean mask: active sites inside `bbox`, under region `prefix` (None: all), of `site_type`."""
        m = self.active & (self.lat >= bbox.south) & (self.lat <= bbox.north) & \
            (self.lng >= bbox.west) & (self.lng <= bbox.east)
        if prefix is not None:
            column = _PREFIX_COLUMN.get(len(prefix.split(".")))
            if column is None or not all(p.isdigit() for p in prefix.split(".")):
                return np.zeros(len(self.ids), dtype=bool)
            m &= self.codes[column].equals(prefix)
        if site_type is not None:
            if site_type not in self.types:
                return np.zeros(len(self.ids), dtype=bool)
            m &= self.type == self.types.index(site_type)
        return m

    def ids_of(self, mask: np.ndarray) -> list[int]:
        return sorted(int(i) for i in self.ids[mask])

    def position_of(self, site_ids: np.ndarray) -> np.ndarray:
        """Row index of each site id in this store (-1 when unknown)."""
        return _positions(self.ids, site_ids)

    def clusters(self, mask: np.ndarray, zoom: int) -> list[clustering.Cluster]:
        """One Cluster per grid cell holding selected sites (the same grid as clustering.cell_of)."""
        return grid_clusters(self.lat[mask], self.lng[mask], self.type[mask], self.types, self.ids[mask], zoom)


def grid_clusters(lat: np.ndarray, lng: np.ndarray, kinds: np.ndarray, kind_names: Sequence[str], ids: np.ndarray,
                  zoom: int) -> list[clustering.Cluster]:
    """Points grouped by grid cell: count, position sums, count per kind, and one id (the only one of a
    cell holding a single point)."""
    if len(ids) == 0:
        return []
    size = clustering.cell_size(zoom)
    cx = np.floor((lng - clustering.LNG_ORIGIN) / size).astype(np.int64)
    cy = np.floor((lat - clustering.LAT_ORIGIN) / size).astype(np.int64)
    keys = cx * (1 << 32) + cy
    cells, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse)
    sum_lat = np.bincount(inverse, weights=lat)
    sum_lng = np.bincount(inverse, weights=lng)
    n_kinds = max(len(kind_names), 1)
    by_kind = np.bincount(inverse * n_kinds + kinds, minlength=len(cells) * n_kinds).reshape(len(cells), n_kinds)
    out = []
    for n in range(len(cells)):
        by = {kind_names[k]: int(by_kind[n, k]) for k in np.flatnonzero(by_kind[n])}
        out.append(clustering.Cluster(x=int(cx[first[n]]), y=int(cy[first[n]]), count=int(counts[n]),
                                      sum_lat=float(sum_lat[n]), sum_lng=float(sum_lng[n]), by_kind=by,
                                      any_id=int(ids[first[n]])))
    return out


# Map categories of a session, from its status and dates (see SessionStore.categories).
CATEGORIES = ("upcoming", "done", "overdue", "cancelled")
_UPCOMING, _DONE, _OVERDUE, _CANCELLED = range(4)


class SessionStore:
    """Sessions placed at their site's position, for filtering and clustering (pure, numpy)."""

    _ARRAYS = ("ids", "site_ids", "site_row", "start", "last", "done", "cancelled", "team")

    def __init__(self, rows: Iterable[Sequence], sites: PointStore, newest_change=None):
        """rows: (id, site_id, date, end_date, status, team_id, desa, kecamatan, kabupaten, provinsi kode)."""
        c = columns(rows, 10)
        self.sites = sites
        self.ids = c[0].astype(np.int64)
        # Kept (8 bytes a row) so that a patched site store is followed without reading the sessions again.
        self.site_ids = c[1].astype(np.int64)
        self.site_row = sites.position_of(self.site_ids)
        self.start = np.fromiter((d.toordinal() for d in c[2]), dtype=np.int32, count=len(c[2]))
        self.last = np.fromiter(((e or d).toordinal() for d, e in zip(c[2], c[3])), dtype=np.int32, count=len(c[2]))
        self.done = c[4] == "selesai"
        self.cancelled = c[4] == "dibatalkan"
        self.team = np.array([t or 0 for t in c[5]], dtype=np.int64)
        self.codes = area_codes(c[6:10])
        self.newest_change = newest_change
        self.rows_changed = len(self.ids)
        _sort_by_id(self, self._ARRAYS)

    def __len__(self) -> int:
        return len(self.ids)

    def patched(self, rows: Iterable[Sequence], sites: PointStore, newest_change=None) -> "SessionStore":
        """A new store over `sites`: this one with `rows` (the constructor's shape) over the rows of the same
        id, the others appended. Site rows are looked up again only where they may have moved: the changed
        sessions; sessions whose site was unknown when `sites` only replaced or appended rows of this store's
        sites; every session when `sites` was rebuilt or re-sorted."""
        new = SessionStore(rows, sites)
        out, patch = _patched(self, new, self._ARRAYS)
        out.sites = sites
        if not patch.still_sorted:
            _sort_by_id(out, self._ARRAYS)
        if sites is not self.sites:
            if sites.keeps_rows_of(self.sites):
                unknown = np.flatnonzero(out.site_row < 0)
                if len(unknown):
                    site_row = out.site_row.copy()
                    site_row[unknown] = sites.position_of(out.site_ids[unknown])
                    out.site_row = _frozen(site_row)
            else:
                out.site_row = _frozen(sites.position_of(out.site_ids))
        out.newest_change = _newest(self.newest_change, newest_change)
        out.rows_changed = patch.rows_changed
        return out

    def categories(self, today: date) -> np.ndarray:
        """0 upcoming, 1 done (selesai), 2 overdue (open, last day before today), 3 cancelled."""
        cat = np.full(len(self.ids), _UPCOMING, dtype=np.int16)
        cat[self.last < today.toordinal()] = _OVERDUE
        cat[self.done] = _DONE
        cat[self.cancelled] = _CANCELLED
        return cat

    def select(self, bbox: BBox, prefix: Optional[str], today: date, *, team_id: Optional[int] = None,
               categories: Sequence[str] = (), date_from: Optional[date] = None, date_to: Optional[date] = None,
               site_type: Optional[str] = None) -> tuple[np.ndarray, np.ndarray]:
        """(mask, categories) of the sessions at sites inside `bbox`, under `prefix`, of team `team_id`
        (None: any), in the categories asked (empty: all), overlapping date_from..date_to, at `site_type`."""
        known = self.site_row >= 0
        rows = np.where(known, self.site_row, 0)
        lat, lng = self.sites.lat[rows], self.sites.lng[rows]
        m = known & (lat >= bbox.south) & (lat <= bbox.north) & (lng >= bbox.west) & (lng <= bbox.east)
        if prefix is not None:
            column = _PREFIX_COLUMN.get(len(prefix.split(".")))
            if column is None or not all(p.isdigit() for p in prefix.split(".")):
                m[:] = False
            else:
                m &= self.codes[column].equals(prefix)
        if team_id is not None:
            m &= self.team == team_id
        if date_to is not None:
            m &= self.start <= date_to.toordinal()
        if date_from is not None:
            m &= self.last >= date_from.toordinal()
        if site_type is not None:
            if site_type not in self.sites.types:
                m[:] = False
            else:
                m &= self.sites.type[rows] == self.sites.types.index(site_type)
        cat = self.categories(today)
        if categories and set(categories) != set(CATEGORIES):
            m &= np.isin(cat, [CATEGORIES.index(c) for c in categories])
        return m, cat

    def ids_of(self, mask: np.ndarray) -> list[int]:
        return sorted(int(i) for i in self.ids[mask])

    def clusters(self, mask: np.ndarray, cat: np.ndarray, zoom: int) -> list[clustering.Cluster]:
        rows = self.site_row[mask]
        return grid_clusters(self.sites.lat[rows], self.sites.lng[rows], cat[mask], CATEGORIES, self.ids[mask], zoom)
