"""Sites CSV: the generic sites format and the Kemendikbud schools list. Pure Python + shapely.

Generic format (one row per site; header names are case-insensitive, `,` or `;` separated):
  required  type, nama, desa_kode, lat, lng
  optional  rt, rw, address, contact_name, contact_phone, npsn, jenjang, status, notes
Schools format (`jateng_sekolah.csv` as published):
  npsn, nama, jenjang, status, kode_kecamatan, nama_kecamatan, kode_kabupaten,
  kode_kecamatan_kemdikbud, kode_kecamatan_titik, lat, lng
Schools carry no desa code, so each one is placed in a desa of its kecamatan (see `assign_schools`).

Over 400 lines on purpose: one file format (sites and schools CSV) read, checked row by row and placed
in its desa; the writing side is outreach.imports.apply.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Container, Mapping, Optional

import numpy as np
import shapely
from shapely import STRtree

from outreach.i18n import N_
from outreach.imports.common import (JATENG, Bbox, CsvTable, Problem, Tick, ValueProblem, check_length, counted,
                                     duplicate_problem, parse_optional_int, parse_point)
from outreach.imports.points import KecamatanAreas, km_text
from outreach.models.regions import ancestors_of, level_of
from outreach.models.sites import JENJANG_CHOICES
from outreach.vocab import SITE_TYPES

GENERIC_REQUIRED = ("type", "nama", "desa_kode", "lat", "lng")
GENERIC_OPTIONAL = ("rt", "rw", "address", "contact_name", "contact_phone", "npsn", "jenjang", "status", "notes")
SCHOOL_REQUIRED = ("npsn", "nama", "jenjang", "kode_kecamatan", "lat", "lng")
SCHOOL_OPTIONAL = ("status", "kode_kecamatan_titik")
SCHOOL_IGNORED = ("nama_kecamatan", "kode_kabupaten", "kode_kecamatan_kemdikbud")

TYPE_ALIASES = {
    "rt_rw": "rt_rw", "rt/rw": "rt_rw", "rtrw": "rt_rw", "rt": "rt_rw", "rw": "rt_rw",
    "balai_desa": "balai_desa", "balai_kelurahan": "balai_desa", "balai_desa/kelurahan": "balai_desa", "balai": "balai_desa",
    "sekolah": "sekolah", "kantor_kecamatan": "kantor_kecamatan", "kecamatan": "kantor_kecamatan",
    "rumah": "rumah", "kunjungan_rumah": "rumah", "lainnya": "lainnya", "lain": "lainnya",
}
_JENJANG = {j.lower(): j for j in JENJANG_CHOICES}
_STATUS = {"negeri": "negeri", "n": "negeri", "swasta": "swasta", "s": "swasta"}
_NPSN_RE = re.compile(r"^[0-9A-Za-z]{8}$")
_PHONE_RE = re.compile(r"^[0-9+()\-\s./]*$")

# Columns every imported site writes; generic files also write the optional columns they contain.
SCHOOL_FIELDS = ("type", "nama", "npsn", "jenjang", "school_status", "desa_kode", "kecamatan_kode",
                 "kabupaten_kode", "provinsi_kode", "lat", "lng", "coords_approximate")
GENERIC_BASE_FIELDS = ("type", "nama", "desa_kode", "kecamatan_kode", "kabupaten_kode", "provinsi_kode", "lat",
                       "lng", "coords_approximate")
OPTIONAL_FIELDS = {"rt": "rt", "rw": "rw", "address": "address", "contact_name": "contact_name",
                   "contact_phone": "contact_phone", "npsn": "npsn", "jenjang": "jenjang", "status": "school_status",
                   "notes": "notes"}
INSERT_DEFAULTS = {"address": "", "rt": None, "rw": None, "npsn": None, "jenjang": None, "school_status": None,
                   "contact_name": "", "contact_phone": "", "notes": "", "coords_approximate": False, "active": True}


def detect_format(columns: list[str]) -> str:
    """"schools" for the Kemendikbud list (npsn + kode_kecamatan, no desa_kode), else "generic"."""
    cols = {c.strip().lower() for c in columns}
    if "desa_kode" not in cols and "type" not in cols and {"npsn", "kode_kecamatan"} <= cols:
        return "schools"
    return "generic"


def parse_jenjang_filter(value: Optional[str]) -> Optional[frozenset[str]]:
    """"SMA,SMK,SLB" -> {"SMA","SMK","SLB"}; raise ValueProblem for an unknown jenjang."""
    if not value or not value.strip():
        return None
    out = set()
    for part in re.split(r"[,;\s]+", value.strip()):
        if not part:
            continue
        canonical = _JENJANG.get(part.lower())
        if canonical is None:
            raise ValueProblem(N_("Jenjang \"%(value)s\" tidak dikenal; pilihan: %(choices)s."),
                               value=part, choices=", ".join(JENJANG_CHOICES))
        out.add(canonical)
    return frozenset(out)


# ---------------------------------------------------------------- generic sites

@dataclass
class SiteRow:
    line: int
    values: dict  # Site columns (without id)
    key: tuple  # ("npsn", npsn) or ("nama", desa_kode, type, casefolded nama)
    fields: tuple  # the columns this row writes and compares


def parse_generic(table: CsvTable, bbox: Bbox = JATENG, jenjang: Optional[frozenset] = None, tick: Tick = None
                  ) -> tuple[list[SiteRow], list[Problem], int]:
    """Rows of a generic sites file; returns (rows, errors, skipped by the jenjang filter)."""
    present = tuple(OPTIONAL_FIELDS[c] for c in GENERIC_OPTIONAL if c in table.columns)
    fields = GENERIC_BASE_FIELDS + tuple(f for f in present if f not in GENERIC_BASE_FIELDS)
    rows: list[SiteRow] = []
    errors: list[Problem] = []
    skipped = 0
    first_seen: dict[tuple, int] = {}
    for line, cells in counted(table.rows, tick):
        try:
            values = _generic_values(cells, bbox)
        except ValueProblem as exc:
            errors.append(exc.at(line))
            continue
        if jenjang is not None and values["type"] == "sekolah" and values["jenjang"] not in jenjang:
            skipped += 1
            continue
        key = (("npsn", values["npsn"]) if values.get("npsn")
               else ("nama", values["desa_kode"], values["type"], values["nama"].casefold()))
        if key in first_seen:
            label = "npsn" if key[0] == "npsn" else "lokasi"
            errors.append(duplicate_problem(line, label, values.get("npsn") or values["nama"], first_seen[key]))
            continue
        first_seen[key] = line
        rows.append(SiteRow(line=line, values=values, key=key, fields=fields))
    return rows, errors, skipped


def _generic_values(cells: Mapping[str, str], bbox: Bbox) -> dict:
    raw_type = cells["type"]
    site_type = TYPE_ALIASES.get(re.sub(r"[\s\-]+", "_", raw_type.lower()))
    if site_type is None:
        raise ValueProblem(N_("type \"%(value)s\" tidak dikenal; pilihan: %(choices)s."),
                           value=raw_type, choices=", ".join(SITE_TYPES))
    nama = check_length(cells["nama"], "nama", 200)
    desa_kode = cells["desa_kode"]
    if desa_kode == "":
        raise ValueProblem(N_("desa_kode wajib diisi."))
    if level_of(desa_kode) != "desa":
        raise ValueProblem(N_("desa_kode \"%(kode)s\" bukan kode desa/kelurahan (mis. 33.74.01.1001)."), kode=desa_kode)
    lat, lng = parse_point(cells["lat"], cells["lng"], bbox)
    values = {"type": site_type, "nama": nama, "desa_kode": desa_kode, "lat": lat, "lng": lng,
              "coords_approximate": False, **_ancestors(desa_kode)}
    rt = parse_optional_int(cells.get("rt", ""), "rt", 1, 999)
    rw = parse_optional_int(cells.get("rw", ""), "rw", 1, 999)
    if site_type == "rt_rw" and (rt is None or rw is None):
        raise ValueProblem(N_("Lokasi RT/RW wajib mengisi nomor rt dan rw."))
    npsn = cells.get("npsn", "")
    jenjang_value = cells.get("jenjang", "")
    status = cells.get("status", "")
    if site_type == "sekolah":
        npsn = _check_npsn(npsn)
        jenjang_value = _check_jenjang(jenjang_value)
        status = _check_status(status)
    elif npsn or jenjang_value or status:
        raise ValueProblem(N_("npsn, jenjang dan status hanya untuk lokasi bertipe sekolah."))
    phone = check_length(cells.get("contact_phone", ""), "contact_phone", 40, required=False)
    if not _PHONE_RE.match(phone):
        raise ValueProblem(N_("contact_phone \"%(value)s\" bukan nomor telepon."), value=phone)
    values.update({
        "rt": rt, "rw": rw, "npsn": npsn or None, "jenjang": jenjang_value or None, "school_status": status or None,
        "address": check_length(cells.get("address", ""), "address", 300, required=False),
        "contact_name": check_length(cells.get("contact_name", ""), "contact_name", 120, required=False),
        "contact_phone": phone,
        "notes": check_length(cells.get("notes", ""), "notes", 2000, required=False, multiline=True),
    })
    return values


def _check_npsn(value: str) -> str:
    if value == "":
        raise ValueProblem(N_("npsn wajib diisi untuk sekolah."))
    if not _NPSN_RE.match(value):
        raise ValueProblem(N_("npsn \"%(value)s\" tidak sah (8 angka/huruf)."), value=value)
    return value


def _check_jenjang(value: str) -> str:
    if value == "":
        raise ValueProblem(N_("jenjang wajib diisi untuk sekolah."))
    canonical = _JENJANG.get(value.lower())
    if canonical is None:
        raise ValueProblem(N_("jenjang \"%(value)s\" tidak dikenal; pilihan: %(choices)s."),
                           value=value, choices=", ".join(JENJANG_CHOICES))
    return canonical


def _check_status(value: str) -> str:
    if value == "":
        return ""
    canonical = _STATUS.get(value.lower())
    if canonical is None:
        raise ValueProblem(N_("status \"%(value)s\" tidak dikenal (negeri atau swasta)."), value=value)
    return canonical


def _ancestors(desa_kode: str) -> dict:
    anc = ancestors_of(desa_kode)
    return {"kecamatan_kode": anc["kecamatan_kode"], "kabupaten_kode": anc["kabupaten_kode"],
            "provinsi_kode": anc["provinsi_kode"]}


def check_generic_desa(rows: list[SiteRow], desa_codes: Container[str], shapes: Mapping[str, object]
                       ) -> tuple[list[SiteRow], list[Problem], list[Problem]]:
    """Drop rows whose desa is unknown (errors); warn when a point lies outside its desa's boundary."""
    kept, errors, warnings = [], [], []
    for row in rows:
        kode = row.values["desa_kode"]
        if kode not in desa_codes:
            errors.append(Problem(row.line, N_("Desa/kelurahan %(kode)s tidak ada di basis data. Impor wilayah dahulu."),
                                  {"kode": kode}))
            continue
        shape = shapes.get(kode)
        if shape is not None and not shape.intersects(shapely.Point(row.values["lng"], row.values["lat"])):
            warnings.append(Problem(row.line, N_("Titik lokasi \"%(nama)s\" berada di luar batas desa %(kode)s."),
                                    {"nama": row.values["nama"], "kode": kode}))
        kept.append(row)
    return kept, errors, warnings


# ---------------------------------------------------------------- schools

@dataclass
class SchoolRow:
    line: int
    npsn: str
    nama: str
    jenjang: str
    status: Optional[str]
    kecamatan_kode: Optional[str]  # None: empty in the file; the point (or kode_kecamatan_titik) decides
    kecamatan_titik: Optional[str]
    lat: Optional[float]
    lng: Optional[float]


def parse_schools(table: CsvTable, bbox: Bbox = JATENG, jenjang: Optional[frozenset] = None, tick: Tick = None
                  ) -> tuple[list[SchoolRow], list[Problem], int, list[Problem]]:
    """Rows of the schools list; returns (rows, errors, skipped by the jenjang filter, duplicates).

    The same NPSN on two schools (the national list has one such pair, in two kabupaten) does not refuse
    the file: the first row is kept and each later one is left out with a problem naming both lines and
    both names. The caller shows these as warnings when the whole file is stored (the least surprising:
    every other school is stored and the one left out is named), and as refused rows when only the
    valid rows are kept (so the second school is in the file of refused rows).
    """
    rows: list[SchoolRow] = []
    errors: list[Problem] = []
    duplicates: list[Problem] = []
    skipped = 0
    first_seen: dict[str, tuple[int, str]] = {}
    for line, cells in counted(table.rows, tick):
        try:
            jenjang_value = _check_jenjang(cells["jenjang"])
            if jenjang is not None and jenjang_value not in jenjang:
                skipped += 1
                continue
            npsn = _check_npsn(cells["npsn"])
            nama = check_length(cells["nama"], "nama", 200)
            status = _check_status(cells.get("status", "")) or None
            kecamatan = cells["kode_kecamatan"] or None
            if kecamatan is not None and level_of(kecamatan) != "kecamatan":
                raise ValueProblem(N_("kode_kecamatan \"%(kode)s\" bukan kode kecamatan (mis. 33.74.01)."),
                                   kode=kecamatan)
            titik = cells.get("kode_kecamatan_titik", "") or None
            if titik is not None and level_of(titik) != "kecamatan":
                titik = None
            point = parse_point(cells["lat"], cells["lng"], bbox, required=False)
        except ValueProblem as exc:
            errors.append(exc.at(line))
            continue
        if npsn in first_seen:
            first_line, first_nama = first_seen[npsn]
            duplicates.append(Problem(line, N_("npsn %(npsn)s dipakai dua sekolah: baris %(first)d (%(first_nama)s) dan "
                                               "baris %(line)d (%(nama)s); hanya baris %(first)d yang disimpan."),
                                      {"npsn": npsn, "first": first_line, "first_nama": first_nama, "line": line,
                                       "nama": nama}))
            continue
        first_seen[npsn] = (line, nama)
        lat, lng = point if point else (None, None)
        rows.append(SchoolRow(line, npsn, nama, jenjang_value, status, kecamatan, titik, lat, lng))
    return rows, errors, skipped, duplicates


@dataclass
class DesaPoint:
    kode: str
    kecamatan_kode: str
    nama: str
    lat: Optional[float]
    lng: Optional[float]


@dataclass
class Placement:
    """Where a school goes: its desa, and its point (approximate when the file had none)."""
    desa_kode: str
    lat: float
    lng: float
    approximate: bool


@dataclass
class PlacementStats:
    by_boundary: int = 0
    by_nearest_centroid: int = 0
    outside_own_kecamatan: int = 0
    approximate: int = 0
    via_titik: int = 0
    without_code: int = 0  # empty kode_kecamatan: placed in the kecamatan its point lies in


class DesaLocator:
    """Finds the desa of a point inside a given kecamatan (boundaries first, else nearest centroid)."""

    def __init__(self, desa: list[DesaPoint], shapes: Mapping[str, object] | None = None,
                 kecamatan_centroids: Mapping[str, tuple[float, float]] | None = None):
        self.desa = {d.kode: d for d in desa}
        self.by_kecamatan: dict[str, list[DesaPoint]] = defaultdict(list)
        for d in sorted(desa, key=lambda d: d.kode):
            self.by_kecamatan[d.kecamatan_kode].append(d)
        self.kecamatan_centroids = dict(kecamatan_centroids or {})
        shapes = shapes or {}
        self.shape_codes = [k for k in sorted(shapes) if k in self.desa and shapes[k] is not None]
        self.tree = STRtree([shapes[k] for k in self.shape_codes]) if self.shape_codes else None

    def has_kecamatan(self, kode: Optional[str]) -> bool:
        return bool(kode) and kode in self.by_kecamatan

    def containing(self, lats: list[float], lngs: list[float]) -> list[list[str]]:
        """For each point, the codes of the desa whose boundary contains it (sorted)."""
        out: list[list[str]] = [[] for _ in lats]
        if self.tree is None or not lats:
            return out
        points = shapely.points(np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float))
        point_idx, tree_idx = self.tree.query(points, predicate="intersects")
        for p, t in zip(point_idx.tolist(), tree_idx.tolist()):
            out[p].append(self.shape_codes[t])
        for codes in out:
            codes.sort()
        return out

    def nearest(self, kecamatan: str, lat: float, lng: float) -> Optional[DesaPoint]:
        """The desa of `kecamatan` whose centroid is nearest to (lat, lng)."""
        scale = math.cos(math.radians(lat))
        best, best_d = None, None
        for d in self.by_kecamatan.get(kecamatan, ()):
            if d.lat is None or d.lng is None:
                continue
            dist = (d.lat - lat) ** 2 + ((d.lng - lng) * scale) ** 2
            if best_d is None or dist < best_d:
                best, best_d = d, dist
        return best

    def by_name(self, kecamatan: str, school_name: str) -> Optional[DesaPoint]:
        """The desa of `kecamatan` whose name appears in the school's name (the longest such name)."""
        text = " " + re.sub(r"[^0-9a-z]+", " ", school_name.casefold()) + " "
        best = None
        for d in self.by_kecamatan.get(kecamatan, ()):
            name = re.sub(r"[^0-9a-z]+", " ", d.nama.casefold()).strip()
            if name and f" {name} " in text and (best is None or len(name) > len(best.nama)):
                best = d
        return best


def assign_schools(rows: list[SchoolRow], locator: DesaLocator, areas: Optional[KecamatanAreas] = None
                   ) -> tuple[list[tuple[SchoolRow, Placement]], list[Problem], PlacementStats]:
    """Place every school in a desa of its kecamatan.

    With a point: the desa of that kecamatan whose boundary contains it, else the desa of that
    kecamatan with the nearest centroid. Without a point: a desa named in the school's name, or the
    desa nearest to the kecamatan centroid, at that centroid, marked approximate. A school with an
    empty kode_kecamatan goes to the kecamatan its point lies in (by the imported desa or kecamatan
    boundaries, else by kode_kecamatan_titik), counted in `without_code`.
    """
    stats = PlacementStats()
    errors: list[Problem] = []
    placed: list[tuple[SchoolRow, Placement]] = []
    with_point = [r for r in rows if r.lat is not None]
    inside = dict(zip((id(r) for r in with_point),
                      locator.containing([r.lat for r in with_point], [r.lng for r in with_point])))
    uncoded = [r for r in with_point if r.kecamatan_kode is None]
    in_area = dict(zip((id(r) for r in uncoded),
                       areas.containing([r.lat for r in uncoded], [r.lng for r in uncoded]) if areas else
                       [None] * len(uncoded)))
    for row in rows:
        kecamatan = row.kecamatan_kode
        if kecamatan is None:
            by_desa = [locator.desa[k].kecamatan_kode for k in inside.get(id(row), ())]
            candidates = [by_desa[0] if by_desa else None, in_area.get(id(row)), row.kecamatan_titik]
            kecamatan = next((k for k in candidates if locator.has_kecamatan(k)), None)
            if kecamatan is None and row.lat is None:
                errors.append(Problem(row.line, N_("kode_kecamatan sekolah %(npsn)s kosong dan sekolah ini tidak "
                                                   "berkoordinat; isi kode_kecamatan atau lat/lng."), {"npsn": row.npsn}))
                continue
            if kecamatan is None:
                errors.append(Problem(row.line, N_("kode_kecamatan sekolah %(npsn)s kosong dan titiknya tidak berada di "
                                                   "kecamatan yang dikenal; isi kode_kecamatan."), {"npsn": row.npsn}))
                continue
            stats.without_code += 1
        elif not locator.has_kecamatan(kecamatan):
            if locator.has_kecamatan(row.kecamatan_titik):
                kecamatan = row.kecamatan_titik
                stats.via_titik += 1
            else:
                errors.append(Problem(row.line, N_("Kecamatan %(kode)s (npsn %(npsn)s) tidak ada di basis data atau belum "
                                                   "memiliki desa. Impor wilayah dahulu."),
                                      {"kode": row.kecamatan_kode, "npsn": row.npsn}))
                continue
        if row.lat is not None:
            own = [k for k in inside[id(row)] if locator.desa[k].kecamatan_kode == kecamatan]
            if own:
                stats.by_boundary += 1
                placed.append((row, Placement(own[0], row.lat, row.lng, False)))
                continue
            if locator.tree is not None:
                stats.outside_own_kecamatan += 1
            desa = locator.nearest(kecamatan, row.lat, row.lng) or locator.by_kecamatan[kecamatan][0]
            stats.by_nearest_centroid += 1
            placed.append((row, Placement(desa.kode, row.lat, row.lng, False)))
            continue
        centroid = locator.kecamatan_centroids.get(kecamatan)
        desa = locator.by_name(kecamatan, row.nama)
        if desa is not None and desa.lat is not None:
            point = (desa.lat, desa.lng)
        elif centroid is not None:
            desa = locator.nearest(kecamatan, *centroid) or locator.by_kecamatan[kecamatan][0]
            point = centroid
        else:
            desa = next((d for d in locator.by_kecamatan[kecamatan] if d.lat is not None), None)
            point = (desa.lat, desa.lng) if desa else None
        if desa is None or point is None:
            errors.append(Problem(row.line, N_("Sekolah %(npsn)s tidak berkoordinat dan titik pusat kecamatan %(kode)s "
                                               "tidak diketahui."), {"npsn": row.npsn, "kode": kecamatan}))
            continue
        stats.approximate += 1
        placed.append((row, Placement(desa.kode, point[0], point[1], True)))
    return placed, errors, stats


# What an outside point's warning says: (falls in another kecamatan?, what was done with the point).
_OUTSIDE_MESSAGES = {
    (True, "moved"): N_("Titik %(nama)s berada %(km)s km di luar Kecamatan %(own)s, di dalam Kecamatan %(found)s; "
                        "disimpan sebagai koordinat perkiraan di titik pusat desa/kecamatan."),
    (True, "accepted"): N_("Titik %(nama)s berada %(km)s km di luar Kecamatan %(own)s, di dalam Kecamatan %(found)s; "
                           "titik diterima apa adanya."),
    (True, "kept"): N_("Titik %(nama)s berada %(km)s km di luar Kecamatan %(own)s, di dalam Kecamatan %(found)s; "
                       "titik pusat desa/kecamatan tidak diketahui, titik dipakai apa adanya."),
    (False, "moved"): N_("Titik %(nama)s berada %(km)s km di luar Kecamatan %(own)s, tidak di dalam kecamatan mana pun "
                         "yang batasnya sudah diimpor; disimpan sebagai koordinat perkiraan di titik pusat "
                         "desa/kecamatan."),
    (False, "accepted"): N_("Titik %(nama)s berada %(km)s km di luar Kecamatan %(own)s, tidak di dalam kecamatan mana "
                            "pun yang batasnya sudah diimpor; titik diterima apa adanya."),
    (False, "kept"): N_("Titik %(nama)s berada %(km)s km di luar Kecamatan %(own)s, tidak di dalam kecamatan mana pun "
                        "yang batasnya sudah diimpor; titik pusat desa/kecamatan tidak diketahui, titik dipakai apa "
                        "adanya."),
}


def check_points(rows: list[SiteRow], areas: KecamatanAreas, names: Mapping[str, str],
                 centroids: Mapping[str, tuple[float, float]], tolerance_m: float = 1000, accept: bool = False
                 ) -> tuple[list[Problem], int]:
    """Report every site whose point lies more than `tolerance_m` outside its own kecamatan (with the
    distance and the kecamatan it falls in) and, unless `accept`, move it to its desa's centroid (else its
    kecamatan's) as approximate coordinates. `centroids` are {region code: (lat, lng)}; returns
    (warnings, how many were moved). Rows already approximate (no point in the file) are left alone."""
    checked = [r for r in rows if not r.values.get("coords_approximate")]
    found = areas.outside([(r.values["kecamatan_kode"], r.values["lat"], r.values["lng"]) for r in checked],
                          tolerance_m)
    warnings: list[Problem] = []
    moved = 0
    for row, where in zip(checked, found):
        if where is None:
            continue
        v = row.values
        params = {"nama": v["nama"], "km": km_text(where.distance_m),
                  "own": names.get(v["kecamatan_kode"], v["kecamatan_kode"])}
        if where.found:
            params["found"] = names.get(where.found, where.found)
        centroid = centroids.get(v["desa_kode"]) or centroids.get(v["kecamatan_kode"])
        if accept:
            action = "accepted"
        elif centroid is None:
            action = "kept"
        else:
            action = "moved"
            v["lat"], v["lng"], v["coords_approximate"] = centroid[0], centroid[1], True
            moved += 1
        warnings.append(Problem(row.line, _OUTSIDE_MESSAGES[(bool(where.found), action)], params))
    return warnings, moved


def school_values(row: SchoolRow, place: Placement) -> dict:
    return {"type": "sekolah", "nama": row.nama, "npsn": row.npsn, "jenjang": row.jenjang,
            "school_status": row.status, "desa_kode": place.desa_kode, **_ancestors(place.desa_kode),
            "lat": place.lat, "lng": place.lng, "coords_approximate": place.approximate}


# ---------------------------------------------------------------- plan

@dataclass
class ExistingSites:
    """Sites already in the database, indexed the ways an import looks them up."""
    by_id: dict[int, dict] = field(default_factory=dict)
    by_npsn: dict[str, int] = field(default_factory=dict)
    by_name: dict[tuple, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, rows: list[dict]) -> "ExistingSites":
        out = cls()
        for r in rows:
            out.by_id[r["id"]] = r
            if r.get("npsn"):
                out.by_npsn[r["npsn"]] = r["id"]
            out.by_name.setdefault((r["desa_kode"], r["type"], r["nama"].casefold()), []).append(r["id"])
        return out


@dataclass
class SitePlan:
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    samples: list[tuple[str, str, str]] = field(default_factory=list)


def plan_sites(rows: list[SiteRow], existing: ExistingSites, sample_limit: int = 20) -> SitePlan:
    """Upsert plan: schools on npsn, other sites on (desa, type, name)."""
    plan = SitePlan()
    for row in rows:
        if row.key[0] == "npsn":
            site_id = existing.by_npsn.get(row.key[1])
        else:
            ids = existing.by_name.get(row.key[1:], [])
            if len(ids) > 1:
                plan.errors.append(Problem(row.line, N_("Ada %(n)d lokasi bernama \"%(nama)s\" (tipe %(type)s) di desa "
                                                        "%(kode)s; tidak jelas mana yang diperbarui."),
                                           {"n": len(ids), "nama": row.values["nama"], "type": row.values["type"],
                                            "kode": row.values["desa_kode"]}))
                continue
            site_id = ids[0] if ids else None
        label = row.values.get("npsn") or row.values["desa_kode"]
        if site_id is None:
            plan.inserts.append({**INSERT_DEFAULTS, **row.values})
            action = "added"
        else:
            current = existing.by_id[site_id]
            if all(current.get(f) == row.values.get(f) for f in row.fields):
                plan.unchanged += 1
                continue
            plan.updates.append({"id": site_id, **{f: row.values.get(f) for f in row.fields}})
            action = "updated"
        if len(plan.samples) < sample_limit:
            plan.samples.append((action, label, row.values["nama"]))
    return plan
