"""Run an import against the database: load what exists in a few queries, plan with the pure modules,
then (only when asked, and only when the whole file is valid) write in bulk in one transaction.

`run_import(kind, data, options, commit=False)` is the preview; `commit=True` writes and records an
ImportBatch. Either way the caller gets an ImportReport; nothing is written when it has errors.
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
from outreach.imports import targets as targets_mod
from outreach.i18n import N_
from outreach.i18n import gettext_here as _
from outreach.imports.common import (INDONESIA, SAMPLE_LIMIT, Bbox, ImportReport, Problem, chunks, file_type_problem,
                                     read_csv)
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


def options_from_config(config, **overrides) -> ImportOptions:
    """Options from app.config. Optional IMPORT_BBOX = (lat_min, lat_max, lng_min, lng_max) with
    IMPORT_AREA_NAME narrows where points may lie; without it the box comes from the data (`site_bbox`)."""
    bbox = None
    if config.get("IMPORT_BBOX"):
        lat_min, lat_max, lng_min, lng_max = config["IMPORT_BBOX"]
        bbox = Bbox(lat_min, lat_max, lng_min, lng_max, config.get("IMPORT_AREA_NAME") or _("wilayah yang diatur"))
    options = ImportOptions(bbox=bbox, today=clock.local_today())
    for key, value in overrides.items():
        setattr(options, key, value)
    return options


def run_import(kind: str, data: bytes, options: ImportOptions, commit: bool = False) -> ImportReport:
    """Validate `data` as a `kind` file and compare it with the database; write it when `commit`."""
    if kind not in _HANDLERS:
        raise ValueError(f"unknown import kind {kind!r}")
    report = ImportReport(kind=kind, filename=options.filename)
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
        if commit and report.ok and writer is not None:
            batch = ImportBatch(kind=kind, filename=(options.filename or "")[:255], user_id=options.user_id,
                                added=report.added, updated=report.updated, unchanged=report.unchanged)
            db.session.add(batch)
            db.session.flush()
            writer(batch.id)
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
    report.cap()
    return report


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


Writer = Callable[[int], None]


# ---------------------------------------------------------------- regions

def _regions(data: bytes, options: ImportOptions, report: ImportReport) -> Optional[Writer]:
    existing = {row.kode: row._asdict() for row in db.session.execute(
        sa.select(Region.kode, *(getattr(Region, f) for f in regions_mod.FIELDS)))}
    parsed = regions_mod.parse_regions(data, existing.keys(), options.bbox or INDONESIA)
    report.errors.extend(parsed.errors)
    report.warnings.extend(parsed.warnings)
    plan = regions_mod.plan_regions(parsed.rows, existing, SAMPLE_LIMIT)
    report.added, report.updated, report.unchanged = len(plan.inserts), len(plan.updates), plan.unchanged
    report.samples = plan.samples

    def write(batch_id: int) -> None:
        if plan.inserts:
            db.session.execute(sa.insert(Region), plan.inserts)
        if plan.updates:
            db.session.execute(sa.update(Region), plan.updates)
    return write


# ---------------------------------------------------------------- boundaries

def _boundaries(data: bytes, options: ImportOptions, report: ImportReport) -> Optional[Writer]:
    names = dict(db.session.execute(sa.select(Region.kode, Region.nama)).all())
    parsed = boundaries_mod.parse_boundaries(data, names.keys(), options.bbox or INDONESIA)
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

    def write(batch_id: int) -> None:
        if plan.updates:
            db.session.execute(sa.update(Region), plan.updates)
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
    if fmt == "schools":
        rows = _school_rows(read.table, options, report)
    else:
        rows, errors, report.skipped = sites_mod.parse_generic(read.table, options.bbox, options.jenjang)
        report.errors.extend(errors)
        wanted = sorted({r.values["desa_kode"] for r in rows})
        desa_codes = {kode for part in chunks(wanted, 2000) for kode in db.session.scalars(
            sa.select(Region.kode).where(Region.level == "desa", Region.kode.in_(part)))}
        shapes = _desa_shapes(sorted(desa_codes))
        rows, errors, warnings = sites_mod.check_generic_desa(rows, desa_codes, shapes)
        report.errors.extend(errors)
        report.warnings.extend(warnings)
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

    def write(batch_id: int) -> None:
        if plan.inserts:
            db.session.execute(sa.insert(Site), plan.inserts)
        if plan.updates:
            for group in _group_by_keys(plan.updates):
                db.session.execute(sa.update(Site), group)
    return write


def _school_rows(table, options: ImportOptions, report: ImportReport) -> list:
    schools, errors, report.skipped = sites_mod.parse_schools(table, options.bbox, options.jenjang)
    report.errors.extend(errors)
    desa = [sites_mod.DesaPoint(*row) for row in db.session.execute(
        sa.select(Region.kode, Region.kecamatan_kode, Region.nama, Region.lat, Region.lng)
        .where(Region.level == "desa"))]
    centroids = {kode: (lat, lng) for kode, lat, lng in db.session.execute(
        sa.select(Region.kode, Region.lat, Region.lng).where(Region.level == "kecamatan"))
        if lat is not None and lng is not None}
    kecamatan = {s.kecamatan_kode for s in schools} | {s.kecamatan_titik for s in schools if s.kecamatan_titik}
    shapes = _desa_shapes([d.kode for d in desa if d.kecamatan_kode in kecamatan])
    locator = sites_mod.DesaLocator(desa, shapes, centroids)
    placed, errors, stats = sites_mod.assign_schools(schools, locator)
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
    return [sites_mod.SiteRow(line=row.line, values=sites_mod.school_values(row, place), key=("npsn", row.npsn),
                              fields=sites_mod.SCHOOL_FIELDS) for row, place in placed]


def _header(data: bytes) -> list[str]:
    end = data.find(b"\n")
    first = (data[:end] if end >= 0 else data).decode("utf-8", errors="replace").lstrip("\ufeff")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [c.strip().strip('"').lower() for c in first.split(delimiter)]


def _desa_shapes(codes: list[str]) -> dict:
    """Shapely geometries of the given desa that have a boundary (vectorised parse)."""
    kodes, texts = [], []
    for part in chunks(codes, 2000):
        for kode, boundary in db.session.execute(sa.select(Region.kode, Region.boundary).where(
                Region.kode.in_(part), Region.has_boundary.is_(True))):
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
    parsed = targets_mod.parse_targets(data, options.today)
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

    def write(batch_id: int) -> None:
        from outreach.ledger import operations as ledger

        if plan.history:
            db.session.execute(sa.insert(TargetCount), [{**h, "batch_id": batch_id} for h in plan.history])
        if plan.region_updates:
            db.session.execute(sa.update(Region), plan.region_updates)
        if plan.site_updates:
            db.session.execute(sa.update(Site), plan.site_updates)
        # New official figures move the pools: the open sessions there get their shares again.
        if plan.region_updates or plan.site_updates:
            ledger.reallocate(desa_kodes=[u["kode"] for u in plan.region_updates],
                              site_ids=[u["id"] for u in plan.site_updates])
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
