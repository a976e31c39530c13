"""Regions CSV (`kode,nama,level,parent_kode,lat,lng`): validation and the upsert plan. Pure Python."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Container, Mapping, Optional

from outreach.i18n import N_
from outreach.imports.common import (JATENG, Bbox, Problem, Tick, ValueProblem, check_length, counted,
                                     duplicate_problem, parse_point, read_csv)
from outreach.models.regions import ancestors_of, kind_of, level_of
from outreach.regions.provinces import province_name
from outreach.vocab import LEVELS

COLUMNS = ("kode", "nama", "level", "parent_kode", "lat", "lng")
LEVEL_ALIASES = {"provinsi": "provinsi", "kabupaten": "kabupaten", "kota": "kabupaten", "kabupaten/kota": "kabupaten",
                 "kecamatan": "kecamatan", "desa": "desa", "kelurahan": "desa", "desa/kelurahan": "desa"}
# The columns an import writes and compares (the upsert key `kode` aside).
FIELDS = ("nama", "level", "kind", "parent_kode", "provinsi_kode", "kabupaten_kode", "kecamatan_kode", "lat", "lng")


@dataclass
class RegionRow:
    line: int
    kode: str
    nama: str
    level: str
    parent_kode: Optional[str]
    lat: Optional[float]
    lng: Optional[float]

    def values(self) -> dict:
        """Column values for the Region table (kode included)."""
        return {"kode": self.kode, "nama": self.nama, "level": self.level, "kind": kind_of(self.kode),
                "parent_kode": self.parent_kode, "lat": self.lat, "lng": self.lng, **ancestors_of(self.kode)}


@dataclass
class RegionsParsed:
    rows: list[RegionRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def parse_regions(data: bytes, known_codes: Container[str] = frozenset(), bbox: Bbox = JATENG,
                  tick: Tick = None) -> RegionsParsed:
    """Validate a whole regions file. `known_codes` are the region codes already in the database."""
    read = read_csv(data, COLUMNS)
    out = RegionsParsed(errors=list(read.errors), warnings=list(read.warnings))
    if read.table is None:
        return out
    first_seen: dict[str, int] = {}
    pending: list[tuple[RegionRow, str, bool]] = []  # row, expected parent, parent required
    for line, cells in counted(read.table.rows, tick):
        try:
            row, expected_parent, parent_required = _parse_row(line, cells, bbox)
        except ValueProblem as exc:
            out.errors.append(exc.at(line))
            continue
        if row.kode in first_seen:
            out.errors.append(duplicate_problem(line, "kode", row.kode, first_seen[row.kode]))
            continue
        first_seen[row.kode] = line
        pending.append((row, expected_parent, parent_required))
    # A file of kabupaten/kota without its province row: the province comes from the official list.
    unknown_provinces: set[str] = set()
    for row, expected_parent, _required in pending:
        if row.level == "kabupaten" and expected_parent not in first_seen and expected_parent not in known_codes \
                and expected_parent not in unknown_provinces:
            nama = province_name(expected_parent)
            if nama is None:
                unknown_provinces.add(expected_parent)
                out.errors.append(Problem(row.line, N_("Provinsi %(parent)s dari %(kode)s tidak ada di daftar resmi "
                                                       "38 provinsi; tambahkan baris provinsinya ke berkas."),
                                          {"parent": expected_parent, "kode": row.kode}))
                continue
            first_seen[expected_parent] = 0
            out.rows.append(RegionRow(line=0, kode=expected_parent, nama=nama, level="provinsi", parent_kode=None,
                                      lat=None, lng=None))
            out.warnings.append(Problem(0, N_("Baris provinsi %(kode)s tidak ada di berkas: Provinsi %(nama)s dibuat "
                                              "dari daftar resmi Kemendagri."),
                                        {"kode": expected_parent, "nama": nama}))
    # Parents are checked once the whole file is known (a parent may come later in the file), from the top
    # level down, so that a row whose parent was refused is refused too (when only valid rows are kept).
    pending.sort(key=lambda item: LEVELS.index(item[0].level))
    for row, expected_parent, parent_required in pending:
        if expected_parent is None:
            out.rows.append(row)
            continue
        if expected_parent in unknown_provinces:
            first_seen.pop(row.kode, None)
            continue
        exists = expected_parent in first_seen or expected_parent in known_codes
        if exists:
            row.parent_kode = expected_parent
        elif parent_required:
            out.errors.append(Problem(row.line, N_("Induk %(parent)s dari %(kode)s tidak ditemukan, baik di berkas "
                                                   "maupun di basis data."),
                                      {"parent": expected_parent, "kode": row.kode}))
            first_seen.pop(row.kode, None)
            continue
        out.rows.append(row)
    out.rows.sort(key=lambda r: (LEVELS.index(r.level), r.kode))  # parents are inserted before children
    return out


def _parse_row(line: int, cells: Mapping[str, str], bbox: Bbox) -> tuple[RegionRow, Optional[str], bool]:
    kode = cells["kode"]
    if kode == "":
        raise ValueProblem(N_("kode wajib diisi."))
    level = level_of(kode)
    if level is None:
        raise ValueProblem(N_("kode \"%(kode)s\" tidak sesuai format Kemendagri (mis. 33, 33.74, 33.74.01, "
                              "33.74.01.1001)."), kode=kode)
    nama = check_length(cells["nama"], "nama", 120)
    declared_level = cells["level"].lower()
    if declared_level:
        if declared_level not in LEVEL_ALIASES:
            raise ValueProblem(N_("level \"%(level)s\" tidak dikenal (provinsi, kabupaten, kecamatan, desa)."),
                               level=cells["level"])
        if LEVEL_ALIASES[declared_level] != level:
            raise ValueProblem(N_("level \"%(level)s\" tidak cocok dengan kode %(kode)s (seharusnya %(expected)s)."),
                               level=cells["level"], kode=kode, expected=level)
    expected_parent = ".".join(kode.split(".")[:-1]) or None
    declared_parent = cells["parent_kode"]
    if declared_parent and declared_parent != expected_parent:
        raise ValueProblem(N_("parent_kode %(parent)s tidak cocok dengan kode %(kode)s (seharusnya %(expected)s)."),
                           parent=declared_parent, kode=kode, expected=expected_parent or "-")
    point = parse_point(cells["lat"], cells["lng"], bbox, required=False)
    lat, lng = point if point else (None, None)
    # Kabupaten rows usually leave the province out (it is the root of the file); others need their parent.
    parent_required = level in ("kecamatan", "desa") or bool(declared_parent)
    row = RegionRow(line=line, kode=kode, nama=nama, level=level, parent_kode=None, lat=lat, lng=lng)
    return row, expected_parent, parent_required


@dataclass
class RegionPlan:
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    unchanged: int = 0
    samples: list[tuple[str, str, str]] = field(default_factory=list)


def plan_regions(rows: list[RegionRow], existing: Mapping[str, Mapping], sample_limit: int = 20) -> RegionPlan:
    """Compare rows with `existing` ({kode: {field: value}}); what to insert, update, or leave."""
    plan = RegionPlan()
    for row in rows:
        values = row.values()
        current = existing.get(row.kode)
        if current is None:
            plan.inserts.append(values)
            action = "added"
        elif any(current.get(f) != values[f] for f in FIELDS):
            plan.updates.append(values)
            action = "updated"
        else:
            plan.unchanged += 1
            continue
        if len(plan.samples) < sample_limit:
            plan.samples.append((action, row.kode, row.nama))
    return plan
