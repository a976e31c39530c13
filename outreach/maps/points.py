"""Sites and sessions in memory for the map: vectorised bbox/scope/filters and grid clustering (pure, numpy).

At province scale (60,000 sites) a GROUP BY per pan costs SQLite 50–200 ms; the same grid clustering on
numpy arrays costs a few milliseconds. The store holds only what the clustering needs (id, position,
type, region codes); names, desa and sessions of the points actually sent come from the database.
`outreach.maps.queries.site_store` rebuilds it when the site table changes.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable, Optional, Sequence

import numpy as np

from outreach.maps import clustering
from outreach.maps.bbox import BBox

_PREFIX_COLUMN = {1: "provinsi", 2: "kabupaten", 3: "kecamatan", 4: "desa"}


class PointStore:
    def __init__(self, rows: Iterable[Sequence]):
        """rows: (id, lat, lng, type, desa_kode, kecamatan_kode, kabupaten_kode, provinsi_kode, active)."""
        rows = list(rows)
        self.types: list[str] = sorted({r[3] for r in rows})
        type_index = {t: n for n, t in enumerate(self.types)}
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.lat = np.array([r[1] for r in rows], dtype=np.float64)
        self.lng = np.array([r[2] for r in rows], dtype=np.float64)
        self.type = np.array([type_index[r[3]] for r in rows], dtype=np.int16)
        self.codes = {
            "desa": np.array([r[4] or "" for r in rows], dtype=str),
            "kecamatan": np.array([r[5] or "" for r in rows], dtype=str),
            "kabupaten": np.array([r[6] or "" for r in rows], dtype=str),
            "provinsi": np.array([r[7] or "" for r in rows], dtype=str),
        }
        self.active = np.array([bool(r[8]) for r in rows], dtype=bool)

    def __len__(self) -> int:
        return len(self.ids)

    def select(self, bbox: BBox, prefix: Optional[str] = None, site_type: Optional[str] = None) -> np.ndarray:
        """Boolean mask: active sites inside `bbox`, under region `prefix` (None: all), of `site_type`."""
        m = self.active & (self.lat >= bbox.south) & (self.lat <= bbox.north) & \
            (self.lng >= bbox.west) & (self.lng <= bbox.east)
        if prefix is not None:
            column = _PREFIX_COLUMN.get(len(prefix.split(".")))
            if column is None or not all(p.isdigit() for p in prefix.split(".")):
                return np.zeros(len(self.ids), dtype=bool)
            m &= self.codes[column] == prefix
        if site_type is not None:
            if site_type not in self.types:
                return np.zeros(len(self.ids), dtype=bool)
            m &= self.type == self.types.index(site_type)
        return m

    def ids_of(self, mask: np.ndarray) -> list[int]:
        return sorted(int(i) for i in self.ids[mask])

    def position_of(self, site_ids: np.ndarray) -> np.ndarray:
        """Row index of each site id in this store (-1 when unknown)."""
        if len(self.ids) == 0:
            return np.full(len(site_ids), -1, dtype=np.int64)
        order = np.argsort(self.ids, kind="stable")
        sorted_ids = self.ids[order]
        at = np.clip(np.searchsorted(sorted_ids, site_ids), 0, len(sorted_ids) - 1)
        return np.where(sorted_ids[at] == site_ids, order[at], -1)

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

    def __init__(self, rows: Iterable[Sequence], sites: PointStore):
        """rows: (id, site_id, date, end_date, status, team_id, desa, kecamatan, kabupaten, provinsi kode)."""
        rows = list(rows)
        self.sites = sites
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        site_ids = np.array([r[1] for r in rows], dtype=np.int64)
        self.site_row = sites.position_of(site_ids) if len(rows) else np.zeros(0, dtype=np.int64)
        self.start = np.array([r[2].toordinal() for r in rows], dtype=np.int64)
        self.last = np.array([(r[3] or r[2]).toordinal() for r in rows], dtype=np.int64)
        self.done = np.array([r[4] == "selesai" for r in rows], dtype=bool)
        self.cancelled = np.array([r[4] == "dibatalkan" for r in rows], dtype=bool)
        self.team = np.array([r[5] or 0 for r in rows], dtype=np.int64)
        self.codes = {
            "desa": np.array([r[6] or "" for r in rows], dtype=str),
            "kecamatan": np.array([r[7] or "" for r in rows], dtype=str),
            "kabupaten": np.array([r[8] or "" for r in rows], dtype=str),
            "provinsi": np.array([r[9] or "" for r in rows], dtype=str),
        }

    def __len__(self) -> int:
        return len(self.ids)

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
                m &= self.codes[column] == prefix
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
