"""Run an import against the database: load what exists in a few queries, plan with the pure modules,
then (only when asked, and only when the whole file is valid) write in bulk in one transaction.

`run_import(kind, data, options, commit=False)` is the preview; `commit=True` writes and records an
ImportBatch. Either way the caller gets an ImportReport; nothing is written when it has errors, unless
`options.valid_only`: then the valid rows are written, the refused ones are counted on the ImportBatch
and handed back (with their reasons) in `report.rejects`, and only a problem with the file itself (its
type, header or syntax) refuses it whole.

A little over 400 lines: each kind's loading and writing sits beside the others so that the one
transaction, the batch record and the refused rows are handled once, in `run_import`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Callable, Optional

import shapely
import sqlalchemy as sa

from outreach import clock
from outreach.extensions import db
from outreach.imports import boundaries as boundaries_mod
from outreach.imports import regions as regions_mod
from outreach.imports import sites as sites_mod
from outreach.imports import points as points_mod
from outreach.imports import targets as targets_mod
from outreach.maps import shapes as map_shapes
from outreach.i18n import N_
from outreach.i18n import gettext_here as _
from outreach.imports.common import (INDONESIA, SAMPLE_LIMIT, Bbox, ImportReport, Problem, Tick, chunks,
                                     file_type_problem, read_csv, reasons_by_line, rejects_csv)
from outreach.models import ImportBatch, Region, Site, TargetCount
from outreach.regions.provinces import province_name

KINDS = ("regions", "boundaries", "sites", "targets")


@dataclass
class ImportOptions:
    filename: str = ""
    user_id: Optional[int] = None
    # Where points may lie; None: regions are checked against Indonesia, sites against the extent of the
    # regions already imported (named by their province), see `site_bbox`.
    bbox: Optional[Bbox] = None
    jenjang: Optional[frozenset] = None  # sites: keep only these school levels
    today: Optional[date] = None  # targets: as_of may not be later than this
    max_bytes: Optional[int] = None
    valid_only: bool = False  # store the valid rows, refuse the bad ones one by one
    # Sites: a point farther than this outside its own kecamatan (boundaries imported) is reported and,
    # unless accept_points, moved to its desa's centroid as approximate coordinates.
    point_tolerance_m: float = 1000
    accept_points: bool = False
    progress: Optional[object] = None  # a ProgressLine (outreach.imports.progress) for the CLI


def options_from_config(config, **overrides) -> ImportOptions:
    """Options from app.config. Optional IMPORT_BBOX = (lat_min, lat_max, lng_min, lng_max) with
    IMPORT_AREA_NAME narrows where points may lie; without it the box comes from the data (`site_bbox`)."""
    bbox = None
    if config.get("IMPORT_BBOX"):
        lat_min, lat_max, lng_min, lng_max = config["IMPORT_BBOX"]
        bbox = Bbox(lat_min, lat_max, lng_min, lng_max, config.get("IMPORT_AREA_NAME") or _("wilayah yang diatur"))
    options = ImportOptions(bbox=bbox, today=clock.local_today(),
                            point_tolerance_m=float(config.get("IMPORT_POINT_TOLERANCE_M", 1000)))
    for key, value in overrides.items():
        setattr(options, key, value)
    return options


def run_import(kind: str, data: bytes, options: ImportOptions, commit: bool = False) -> ImportReport:
    """Validate `data` as a `kind` file and compare it with the database; write it when `commit`."""
    if kind not in _HANDLERS:
        raise ValueError(f"unknown import kind {kind!r}")
    report = ImportReport(kind=kind, filename=options.filename, valid_only=options.valid_only)
    if options.max_bytes is not None and len(data) > options.max_bytes:
        report.errors.append(Problem(0, N_("Berkas terlalu besar: %(size)s MB; batasnya %(limit)s MB."),
                                     {"size": _mb(len(data)), "limit": _mb(options.max_bytes)}))
        return report
    wrong_type = file_type_problem(data, "geojson" if kind == "boundaries" else "csv")
    if wrong_type is not None:
        report.errors.append(wrong_type)
        report.cap()
        return report
    try:
        writer = _HANDLERS[kind](data, options, report)
        if options.valid_only and report.ok:
            _collect_rejects(kind, data, report)
        if commit and report.ok and writer is not None:
            batch = ImportBatch(kind=kind, filename=(options.filename or "")[:255], user_id=options.user_id,
                                added=report.added, updated=report.updated, unchanged=report.unchanged,
                                refused=report.refused)
            db.session.add(batch)
            db.session.flush()
            total = report.added + report.updated
            writer(batch.id, _phase(options, N_("Menyimpan"), total) if total else None)
            db.session.commit()
            report.committed, report.batch_id = True, batch.id
        else:
            db.session.rollback()
    except sa.exc.IntegrityError:
        # Someone else changed the same rows between our read and our write (e.g. two imports at once).
        db.session.rollback()
        report.errors.append(Problem(0, N_("Data di basis data berubah selama impor berlangsung; tidak ada yang "
                                           "disimpan. Jalankan impor sekali lagi.")))
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if options.progress is not None:
            options.progress.finish()
    report.cap()
    return report


def _collect_rejects(kind: str, data: bytes, report: ImportReport) -> None:
    """Count the refused rows and build the file that lists them with their reasons."""
    reasons = reasons_by_line(report.errors)
    report.refused = len(reasons)
    if not reasons:
        return
    if kind == "boundaries":
        report.rejects, report.rejects_ext = boundaries_mod.rejects_geojson(data, reasons), "geojson"
    else:
        report.rejects, report.rejects_ext = rejects_csv(data, reasons), "csv"


def _phase(options: ImportOptions, label: str, total: Optional[int]) -> Tick:
    """The progress tick of a new phase, or None when nobody watches."""
    return options.progress.phase(label, total) if options.progress is not None else None


def _rows_in(data: bytes) -> int:
    """About how many data rows a CSV holds (for the progress line only)."""
    return max(data.count(b"\n") - (0 if data.endswith(b"\n") else -1) - 1, 1)


def _execute_in_chunks(statement, rows: list[dict], tick: Tick, size: int = 2000) -> None:
    for part in chunks(rows, size):
        db.session.execute(statement, list(part))
        if tick is not None:
            tick(len(part))


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


Writer = Callable[[int, Tick], None]


# ---------------------------------------------------------------- regions

def _regions(data: bytes, options: ImportOptions, report: ImportReport) -> Optional[Writer]:
    existing = {row.kode: row._asdict() for row in db.session.execute(
        sa.select(Region.kode, *(getattr(Region, f) for f in regions_mod.FIELDS)))}
    parsed = regions_mod.parse_regions(data, existing.keys(), options.bbox or INDONESIA,
                                       _phase(options, N_("Memeriksa baris"), _rows_in(data)))
    report.errors.extend(parsed.errors)
    report.warnings.extend(parsed.warnings)
    plan = regions_mod.plan_regions(parsed.rows, existing, SAMPLE_LIMIT)
    report.added, report.updated, report.unchanged = len(plan.inserts), len(plan.updates), plan.unchanged
    report.samples = plan.samples

    def write(batch_id: int, tick: Tick = None) -> None:
        if plan.inserts:
            _execute_in_chunks(sa.insert(Region), plan.inserts, tick)
        if plan.updates:
            _execute_in_chunks(sa.update(Region), plan.updates, tick)
    return write


# ---------------------------------------------------------------- boundaries

def _boundaries(data: bytes, options: ImportOptions, report: ImportReport) -> Optional[Writer]:
    names = dict(db.session.execute(sa.select(Region.kode, Region.nama)).all())
    parsed = boundaries_mod.parse_boundaries(data, names.keys(), options.bbox or INDONESIA,
                                             _phase(options, N_("Memeriksa fitur"), boundaries_mod.count_features(data)))
    report.errors.extend(parsed.errors)
    report.warnings.extend(parsed.warnings)
    existing = {}
    codes = [r.kode for r in parsed.rows]
    for part in chunks(codes, 2000):
        for kode, boundary, has in db.session.execute(
                sa.select(Region.kode, Region.boundary, Region.has_boundary).where(Region.kode.in_(part))):
            existing[kode] = (boundary, has)
    plan = boundaries_mod.plan_boundaries(parsed.rows, existing, names, SAMPLE_LIMIT)
    report.added, report.updated, report.unchanged = plan.added, plan.updated, plan.unchanged
    report.samples = plan.samples
    if parsed.repaired:
        report.notes.append(Problem(0, N_("%(n)d geometri tidak sah diperbaiki otomatis."), {"n": parsed.repaired}))

    def write(batch_id: int, tick: Tick = None) -> None:
        if plan.updates:
            _execute_in_chunks(sa.update(Region), plan.updates, tick, size=500)
            # The map layers every worker shares: the new boundaries simplified per zoom, in this transaction.
            map_shapes.write_shapes(u["kode"] for u in plan.updates)
    return write


# ---------------------------------------------------------------- sites

_SITE_COLUMNS = ("id", "type", "nama", "address", "desa_kode", "kecamatan_kode", "kabupaten_kode", "provinsi_kode",
                 "rt", "rw", "npsn", "jenjang", "school_status", "lat", "lng", "coords_approximate", "contact_name",
                 "contact_phone", "notes")


# How far (degrees, about 11 km) a site may lie beyond the outermost imported region points.
EXTENT_MARGIN = 0.1


def site_bbox() -> Bbox:
    """The extent of the imported regions' points plus a margin, named by its province (or provinces);
    Indonesia when no region has a point yet."""
    R = Region
    lat_min, lat_max, lng_min, lng_max = db.session.execute(
        sa.select(sa.func.min(R.lat), sa.func.max(R.lat), sa.func.min(R.lng), sa.func.max(R.lng))
        .where(R.lat.is_not(None), R.lng.is_not(None))).one()
    if lat_min is None:
        return INDONESIA
    provinces = db.session.scalars(sa.select(R.provinsi_kode).distinct().limit(4)).all()
    names = [province_name(kode) or kode for kode in sorted(provinces)]
    name = names[0] if len(names) == 1 else _("wilayah yang sudah diimpor")
    m = EXTENT_MARGIN
    return Bbox(lat_min - m, lat_max + m, lng_min - m, lng_max + m, name)


def _sites(data: bytes, options: ImportOptions, report: ImportReport) -> Optional[Writer]:
    if options.bbox is None:
        options = replace(options, bbox=site_bbox())
    fmt = sites_mod.detect_format(_header(data))
    if fmt == "schools":
        read = read_csv(data, sites_mod.SCHOOL_REQUIRED, sites_mod.SCHOOL_OPTIONAL, sites_mod.SCHOOL_IGNORED)
    else:
        read = read_csv(data, sites_mod.GENERIC_REQUIRED, sites_mod.GENERIC_OPTIONAL)
    report.errors.extend(read.errors)
    report.warnings.extend(read.warnings)
    if read.table is None:
        return None
    tick = _phase(options, N_("Memeriksa baris"), len(read.table.rows))
    if fmt == "schools":
        rows, areas = _school_rows(read.table, options, report, tick)
    else:
        rows, errors, report.skipped = sites_mod.parse_generic(read.table, options.bbox, options.jenjang, tick)
        report.errors.extend(errors)
        wanted = sorted({r.values["desa_kode"] for r in rows})
        desa_codes = {kode for part in chunks(wanted, 2000) for kode in db.session.scalars(
            sa.select(Region.kode).where(Region.level == "desa", Region.kode.in_(part)))}
        shapes = _desa_shapes(sorted(desa_codes))
        rows, errors, warnings = sites_mod.check_generic_desa(rows, desa_codes, shapes)
        report.errors.extend(errors)
        report.warnings.extend(warnings)
        kecamatan = sorted({r.values["kecamatan_kode"] for r in rows})
        desa_around = [kode for part in chunks(kecamatan, 2000) for kode in db.session.scalars(
            sa.select(Region.kode).where(Region.level == "desa", Region.kecamatan_kode.in_(part),
                                         Region.has_boundary.is_(True)))]
        areas = _kecamatan_areas(set(kecamatan), {**_desa_shapes(sorted(set(desa_around) - shapes.keys())), **shapes})
    if areas:
        _check_site_points(rows, areas, options, report)
    if options.jenjang is not None and report.skipped:
        report.notes.append(Problem(0, N_("%(n)d sekolah dilewati karena jenjangnya bukan %(jenjang)s."),
                                    {"n": report.skipped, "jenjang": ", ".join(sorted(options.jenjang))}))
    existing = sites_mod.ExistingSites.build(
        [r._asdict() for r in db.session.execute(sa.select(*(getattr(Site, c) for c in _SITE_COLUMNS)))])
    plan = sites_mod.plan_sites(rows, existing, SAMPLE_LIMIT)
    report.errors.extend(plan.errors)
    report.errors.sort(key=lambda p: p.line)
    report.added, report.updated, report.unchanged = len(plan.inserts), len(plan.updates), plan.unchanged
    report.samples = plan.samples

    def write(batch_id: int, tick: Tick = None) -> None:
        if plan.inserts:
            _execute_in_chunks(sa.insert(Site), plan.inserts, tick)
        if plan.updates:
            for group in _group_by_keys(plan.updates):
                _execute_in_chunks(sa.update(Site), group, tick)
    return write


def _school_rows(table, options: ImportOptions, report: ImportReport, tick: Tick = None) -> tuple[list, object]:
    schools, errors, report.skipped, duplicates = sites_mod.parse_schools(table, options.bbox, options.jenjang, tick)
    report.errors.extend(errors)
    # The same NPSN twice: left out with a warning, or refused (listed with the refused rows) when only
    # the valid rows are kept.
    (report.errors if options.valid_only else report.warnings).extend(duplicates)
    desa = [sites_mod.DesaPoint(*row) for row in db.session.execute(
        sa.select(Region.kode, Region.kecamatan_kode, Region.nama, Region.lat, Region.lng)
        .where(Region.level == "desa"))]
    centroids = {kode: (lat, lng) for kode, lat, lng in db.session.execute(
        sa.select(Region.kode, Region.lat, Region.lng).where(Region.level == "kecamatan"))
        if lat is not None and lng is not None}
    kecamatan = {s.kecamatan_kode for s in schools if s.kecamatan_kode} | {s.kecamatan_titik for s in schools
                                                                            if s.kecamatan_titik}
    # A school without kode_kecamatan may lie anywhere: then every desa boundary is wanted.
    if any(s.kecamatan_kode is None and s.lat is not None for s in schools):
        shapes = _desa_shapes([d.kode for d in desa])
    else:
        shapes = _desa_shapes([d.kode for d in desa if d.kecamatan_kode in kecamatan])
    locator = sites_mod.DesaLocator(desa, shapes, centroids)
    areas = _kecamatan_areas(kecamatan, shapes)
    placed, errors, stats = sites_mod.assign_schools(schools, locator, areas)
    report.errors.extend(errors)
    if stats.by_boundary:
        report.notes.append(Problem(0, N_("%(n)d sekolah ditempatkan di desa yang batasnya memuat titik sekolah."),
                                    {"n": stats.by_boundary}))
    if stats.by_nearest_centroid:
        report.notes.append(Problem(0, N_("%(n)d sekolah ditempatkan di desa dengan titik pusat terdekat di "
                                          "kecamatannya (%(outside)d di antaranya bertitik di luar batas desa-desa "
                                          "kecamatan itu)."),
                                    {"n": stats.by_nearest_centroid, "outside": stats.outside_own_kecamatan}))
    if stats.approximate:
        report.notes.append(Problem(0, N_("%(n)d sekolah tanpa koordinat: memakai titik pusat desa/kecamatan "
                                          "(ditandai sebagai perkiraan)."), {"n": stats.approximate}))
    if stats.via_titik:
        report.notes.append(Problem(0, N_("%(n)d sekolah memakai kode_kecamatan_titik karena kode_kecamatan tidak "
                                          "dikenal."), {"n": stats.via_titik}))
    if stats.without_code:
        report.notes.append(Problem(0, N_("%(n)d sekolah tanpa kode_kecamatan ditempatkan di kecamatan yang memuat "
                                          "titiknya; periksa kecamatannya di halaman lokasi."), {"n": stats.without_code}))
    rows = [sites_mod.SiteRow(line=row.line, values=sites_mod.school_values(row, place), key=("npsn", row.npsn),
                              fields=sites_mod.SCHOOL_FIELDS) for row, place in placed]
    return rows, areas


def _kecamatan_areas(kecamatan: set, desa_shapes: dict) -> Optional[points_mod.KecamatanAreas]:
    """The areas of the given kecamatan and of every kecamatan with its own boundary (to name where a point
    falls); None when no boundary is imported."""
    kec_shapes = _shapes(sa.select(Region.kode, Region.boundary).where(Region.level == "kecamatan",
                                                                         Region.has_boundary.is_(True)))
    if not kec_shapes and not desa_shapes:
        return None
    desa_kecamatan = {kode: ".".join(kode.split(".")[:3]) for kode in desa_shapes}
    areas = points_mod.KecamatanAreas.build(kec_shapes, desa_shapes, desa_kecamatan)
    return areas or None


def _check_site_points(rows: list, areas, options: ImportOptions, report: ImportReport) -> None:
    """Sites whose point lies outside their own kecamatan: reported, and moved to a centroid unless accepted."""
    codes = sorted({r.values["desa_kode"] for r in rows} | {r.values["kecamatan_kode"] for r in rows})
    centroids, names = {}, {}
    for part in chunks(codes, 2000):
        for kode, nama, lat, lng in db.session.execute(
                sa.select(Region.kode, Region.nama, Region.lat, Region.lng).where(Region.kode.in_(part))):
            names[kode] = nama
            if lat is not None and lng is not None:
                centroids[kode] = (lat, lng)
    missing = sorted(set(areas.codes) - set(names))
    for part in chunks(missing, 2000):
        names.update(db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(part))).all())
    warnings, moved = sites_mod.check_points(rows, areas, names, centroids, options.point_tolerance_m,
                                             options.accept_points)
    report.warnings.extend(warnings)
    if warnings:
        report.notes.append(Problem(0, N_("%(n)d lokasi bertitik lebih dari %(m)d m di luar kecamatannya; %(moved)d "
                                          "di antaranya disimpan sebagai koordinat perkiraan di titik pusat "
                                          "desa/kecamatan."), {"n": len(warnings), "m": int(options.point_tolerance_m),
                                                               "moved": moved}))


def _header(data: bytes) -> list[str]:
    end = data.find(b"\n")
    first = (data[:end] if end >= 0 else data).decode("utf-8", errors="replace").lstrip("\ufeff")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [c.strip().strip('"').lower() for c in first.split(delimiter)]


def _desa_shapes(codes: list[str]) -> dict:
    """Shapely geometries of the given desa that have a boundary (vectorised parse)."""
    out = {}
    for part in chunks(codes, 2000):
        out.update(_shapes(sa.select(Region.kode, Region.boundary).where(
            Region.kode.in_(part), Region.has_boundary.is_(True))))
    return out


def _shapes(statement) -> dict:
    """{kode: shapely geometry} of a select of (kode, boundary text)."""
    kodes, texts = [], []
    for kode, boundary in db.session.execute(statement):
        if boundary:
            kodes.append(kode)
            texts.append(boundary)
    if not texts:
        return {}
    geoms = shapely.from_geojson(texts, on_invalid="ignore")
    return {k: g for k, g in zip(kodes, geoms) if g is not None and not g.is_empty}


def _group_by_keys(updates: list[dict]) -> list[list[dict]]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for u in updates:
        groups[tuple(sorted(u))].append(u)
    return list(groups.values())


# ---------------------------------------------------------------- targets

def _targets(data: bytes, options: ImportOptions, report: ImportReport) -> Optional[Writer]:
    parsed = targets_mod.parse_targets(data, options.today, _phase(options, N_("Memeriksa baris"), _rows_in(data)))
    report.errors.extend(parsed.errors)
    report.warnings.extend(parsed.warnings)
    desa_wanted = sorted({r.kode for r in parsed.rows if not r.npsn and r.kode})
    npsn_wanted = sorted({r.npsn for r in parsed.rows if r.npsn})
    desa_current: dict[tuple, Optional[tuple]] = {}
    labels: dict[tuple, str] = {}
    for part in chunks(desa_wanted, 2000):
        for kode, nama, wajib, sudah, as_of in db.session.execute(
                sa.select(Region.kode, Region.nama, Region.wajib_ktp, Region.sudah_rekam, Region.target_as_of)
                .where(Region.kode.in_(part), Region.level == "desa")):
            desa_current[("desa", kode)] = (wajib, sudah, as_of) if as_of is not None and wajib is not None else None
            labels[("desa", kode)] = f"{kode} {nama}"
    schools: dict[str, tuple[int, str]] = {}
    site_current: dict[tuple, Optional[tuple]] = {}
    for part in chunks(npsn_wanted, 2000):
        for site_id, npsn, desa_kode, nama, wajib, sudah, as_of in db.session.execute(
                sa.select(Site.id, Site.npsn, Site.desa_kode, Site.nama, Site.pemilih_pemula,
                          Site.pemilih_pemula_recorded, Site.pemilih_pemula_as_of).where(Site.npsn.in_(part))):
            schools[npsn] = (site_id, desa_kode)
            site_current[("site", site_id)] = (wajib, sudah or 0, as_of) if as_of is not None and wajib is not None else None
            labels[("site", site_id)] = f"{npsn} {nama}"
    resolved, errors = targets_mod.resolve_targets(parsed.rows, {k for _, k in desa_current}, schools)
    report.errors.extend(errors)
    report.errors.sort(key=lambda p: p.line)
    history = _target_history([s[1] for s in desa_current], [s[1] for s in site_current])
    plan = targets_mod.plan_targets(resolved, history, {**desa_current, **site_current},
                                    default_source=f"impor {options.filename}".strip()[:200], labels=labels,
                                    sample_limit=SAMPLE_LIMIT)
    report.added, report.updated, report.unchanged = plan.added, plan.updated, plan.unchanged
    report.samples = plan.samples
    if plan.older:
        report.notes.append(Problem(0, N_("%(n)d angka lebih lama daripada angka terbaru yang sudah ada: disimpan "
                                          "sebagai riwayat saja."), {"n": plan.older}))

    def write(batch_id: int, tick: Tick = None) -> None:
        from outreach.ledger import operations as ledger

        if plan.history:
            _execute_in_chunks(sa.insert(TargetCount), [{**h, "batch_id": batch_id} for h in plan.history], tick)
        if plan.region_updates:
            db.session.execute(sa.update(Region), plan.region_updates)
        if plan.site_updates:
            db.session.execute(sa.update(Site), plan.site_updates)
        # New official figures move the pools: the open sessions there get their shares again.
        if plan.region_updates or plan.site_updates:
            ledger.reallocate(desa_kodes=[u["kode"] for u in plan.region_updates],
                              site_ids=[u["id"] for u in plan.site_updates])
        # New official figures staled their kecamatan's sums: recompute them before the figures are read.
        if plan.region_updates:
            from outreach.regions.rollup import refresh_kecamatan_totals

            refresh_kecamatan_totals(db.session)
    return write


def _target_history(desa_codes: list[str], site_ids: list[int]) -> dict:
    """{subject: {as_of: (wajib, sudah)}} keeping the latest row (highest id) per date."""
    history: dict[tuple, dict] = defaultdict(dict)
    queries = [(TargetCount.desa_kode, "desa", part) for part in chunks(desa_codes, 2000)]
    queries += [(TargetCount.site_id, "site", part) for part in chunks(site_ids, 2000)]
    for column, kind, part in queries:
        stmt = (sa.select(column, TargetCount.as_of, TargetCount.wajib_ktp, TargetCount.sudah_rekam)
                .where(column.in_(part)).order_by(TargetCount.id))
        for ident, as_of, wajib, sudah in db.session.execute(stmt):
            history[(kind, ident)][as_of] = (wajib, sudah)
    return history


_HANDLERS = {"regions": _regions, "boundaries": _boundaries, "sites": _sites, "targets": _targets}
