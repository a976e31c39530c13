"""Boundaries GeoJSON (a FeatureCollection whose features carry a `kode` property). Pure Python + shapely.

The file is walked one feature at a time (json.JSONDecoder.raw_decode over the text), so a 9 MB
province-wide desa layer never exists as one big Python object tree.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Container, Iterator, Mapping

import shapely
from shapely.validation import explain_validity, make_valid

from outreach.i18n import N_
from outreach.imports.common import JATENG, Bbox, Problem, Tick, counted, decode_utf8, duplicate_problem
from outreach.models.regions import level_of

_WS = re.compile(r"[ \t\n\r]*")
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


class GeoJSONSyntaxError(ValueError):
    def __init__(self, template: str, **params):
        super().__init__(template % params)
        self.template, self.params = template, params


@dataclass
class BoundaryRow:
    line: int  # the feature's number in the file (1-based)
    kode: str
    geometry: str  # compact GeoJSON geometry text, as stored in Region.boundary


@dataclass
class BoundariesParsed:
    rows: list[BoundaryRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    repaired: int = 0


def iter_features(text: str) -> Iterator[dict]:
    """Yield the features of a GeoJSON FeatureCollection one by one; raise GeoJSONSyntaxError."""
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    _expect(text, pos, "{")
    pos = _skip(text, pos + 1)
    saw_type = saw_features = False
    if text.startswith("}", pos):
        pos += 1
    else:
        while True:
            key, pos = _decode(decoder, text, pos)
            pos = _skip(text, pos)
            _expect(text, pos, ":")
            pos = _skip(text, pos + 1)
            if key == "features":
                saw_features = True
                _expect(text, pos, "[")
                pos = _skip(text, pos + 1)
                if text.startswith("]", pos):
                    pos += 1
                else:
                    while True:
                        feature, pos = _decode(decoder, text, pos)
                        yield feature
                        pos = _skip(text, pos)
                        if text.startswith("]", pos):
                            pos += 1
                            break
                        _expect(text, pos, ",")
                        pos = _skip(text, pos + 1)
            else:
                value, pos = _decode(decoder, text, pos)
                if key == "type":
                    saw_type = True
                    if value != "FeatureCollection":
                        raise GeoJSONSyntaxError(N_("GeoJSON harus berupa FeatureCollection, bukan \"%(type)s\"."),
                                                 type=str(value)[:40])
            pos = _skip(text, pos)
            if text.startswith("}", pos):
                pos += 1
                break
            _expect(text, pos, ",")
            pos = _skip(text, pos + 1)
    if _skip(text, pos) != len(text):
        raise GeoJSONSyntaxError(N_("GeoJSON rusak: ada teks setelah akhir objek (baris %(line)d)."),
                                 line=text.count("\n", 0, pos) + 1)
    if not saw_type or not saw_features:
        raise GeoJSONSyntaxError(N_("GeoJSON harus berupa FeatureCollection dengan daftar \"features\"."))


def _skip(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()


def _expect(text: str, pos: int, char: str) -> None:
    if not text.startswith(char, pos):
        found = text[pos:pos + 1] or "akhir berkas"
        raise GeoJSONSyntaxError(N_("GeoJSON rusak pada baris %(line)d kolom %(col)d: diharapkan \"%(expected)s\", "
                                    "ditemukan \"%(found)s\"."),
                                 line=text.count("\n", 0, pos) + 1, col=pos - text.rfind("\n", 0, pos),
                                 expected=char, found=found)


def _decode(decoder: json.JSONDecoder, text: str, pos: int):
    try:
        return decoder.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise GeoJSONSyntaxError(N_("GeoJSON rusak pada baris %(line)d kolom %(col)d: %(detail)s."),
                                 line=exc.lineno, col=exc.colno, detail=exc.msg) from None


def parse_boundaries(data: bytes, known_codes: Container[str], bbox: Bbox = JATENG, tick: Tick = None
                     ) -> BoundariesParsed:
    """Validate a whole boundaries file against the region codes in the database."""
    out = BoundariesParsed()
    text, problems = decode_utf8(data)
    if text is None:
        out.errors.extend(problems)
        return out
    first_seen: dict[str, int] = {}
    candidates: list[BoundaryRow] = []
    try:
        for number, feature in enumerate(counted(iter_features(text), tick, every=200), start=1):
            problem = _check_feature(number, feature, known_codes)
            if problem:
                out.errors.append(problem)
                continue
            kode = feature["properties"]["kode"]
            if kode in first_seen:
                out.errors.append(duplicate_problem(number, "kode", kode, first_seen[kode]))
                continue
            first_seen[kode] = number
            geometry_text = json.dumps(feature["geometry"], separators=(",", ":"), ensure_ascii=False)
            candidates.append(BoundaryRow(line=number, kode=kode, geometry=geometry_text))
    except GeoJSONSyntaxError as exc:
        out.errors.append(Problem(0, exc.template, exc.params))
        return out
    if not first_seen and not out.errors:
        out.errors.append(Problem(0, N_("GeoJSON tidak berisi satu fitur pun.")))
        return out
    _check_geometries(candidates, out, bbox)
    return out


def count_features(data: bytes) -> int:
    """About how many features a FeatureCollection holds (for a progress line; never used to validate)."""
    return data.count(b'"Feature"')


def rejects_geojson(data: bytes, reasons: Mapping[int, str]) -> bytes:
    """The refused features (by their number in the file) as a FeatureCollection, each with its reasons in
    the property `alasan`."""
    text, _problems = decode_utf8(data)
    features = []
    try:
        for number, feature in enumerate(iter_features(text or ""), start=1):
            if number not in reasons:
                continue
            if isinstance(feature, dict):
                props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
                feature = {**feature, "properties": {**props, "alasan": reasons[number]}}
            else:
                feature = {"type": "Feature", "properties": {"alasan": reasons[number]}, "geometry": None}
            features.append(feature)
    except GeoJSONSyntaxError:
        pass  # a broken file refuses itself whole
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")


def _check_feature(number: int, feature, known_codes: Container[str]):
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return Problem(number, N_("Fitur ke-%(n)d bukan objek Feature GeoJSON."), {"n": number})
    props = feature.get("properties") or {}
    kode = props.get("kode") if isinstance(props, dict) else None
    if not isinstance(kode, str) or not kode.strip():
        return Problem(number, N_("Fitur ke-%(n)d tidak memiliki properti \"kode\"."), {"n": number})
    kode = kode.strip()
    props["kode"] = kode
    if level_of(kode) is None:
        return Problem(number, N_("Fitur ke-%(n)d: kode \"%(kode)s\" tidak sesuai format Kemendagri."),
                       {"n": number, "kode": kode})
    if kode not in known_codes:
        return Problem(number, N_("Fitur ke-%(n)d: wilayah %(kode)s tidak ada di basis data. Impor wilayah dahulu."),
                       {"n": number, "kode": kode})
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        found = geometry.get("type") if isinstance(geometry, dict) else "kosong"
        return Problem(number, N_("Fitur ke-%(n)d (%(kode)s): geometri harus Polygon atau MultiPolygon, bukan %(type)s."),
                       {"n": number, "kode": kode, "type": str(found)[:40]})
    return None


def _check_geometries(candidates: list[BoundaryRow], out: BoundariesParsed, bbox: Bbox) -> None:
    """Shape, validity and position of every geometry, in one vectorised pass."""
    geoms = shapely.from_geojson([c.geometry for c in candidates], on_invalid="ignore")
    valid = shapely.is_valid(geoms)
    bounds = shapely.bounds(geoms)  # minx (lng), miny (lat), maxx, maxy
    for row, geom, is_valid, (minx, miny, maxx, maxy) in zip(candidates, geoms, valid, bounds):
        where = {"n": row.line, "kode": row.kode}
        if geom is None or shapely.is_empty(geom):
            out.errors.append(Problem(row.line, N_("Fitur ke-%(n)d (%(kode)s): koordinat geometri tidak sah atau kosong."),
                                      where))
            continue
        lat_c, lng_c = (miny + maxy) / 2, (minx + maxx) / 2
        if not bbox.contains(lat_c, lng_c):
            if bbox.contains(lng_c, lat_c):
                out.errors.append(Problem(row.line, N_("Fitur ke-%(n)d (%(kode)s): lat dan lng tertukar; GeoJSON memakai "
                                                       "urutan [lng, lat]."), where))
            else:
                out.errors.append(Problem(row.line, N_("Fitur ke-%(n)d (%(kode)s): geometri di luar wilayah %(area)s."),
                                          {**where, "area": bbox.name}))
            continue
        if not is_valid:
            fixed = _polygonal(make_valid(geom))
            if fixed is None:
                out.errors.append(Problem(row.line, N_("Fitur ke-%(n)d (%(kode)s): geometri tidak sah (%(detail)s)."),
                                          {**where, "detail": explain_validity(geom)}))
                continue
            out.warnings.append(Problem(row.line, N_("Fitur ke-%(n)d (%(kode)s): geometri tidak sah (%(detail)s), "
                                                     "diperbaiki otomatis."),
                                        {**where, "detail": explain_validity(geom)}))
            row.geometry = shapely.to_geojson(fixed)
            out.repaired += 1
        out.rows.append(row)


def _polygonal(geom):
    """The polygon parts of a repaired geometry (make_valid may return a collection), or None."""
    if geom.is_empty:
        return None
    if geom.geom_type in GEOMETRY_TYPES:
        return geom
    polygons = []
    for part in getattr(geom, "geoms", []):
        if part.geom_type == "Polygon":
            polygons.append(part)
        elif part.geom_type == "MultiPolygon":
            polygons.extend(part.geoms)
    return shapely.MultiPolygon(polygons) if polygons else None


@dataclass
class BoundaryPlan:
    updates: list[dict] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    samples: list[tuple[str, str, str]] = field(default_factory=list)


def plan_boundaries(rows: list[BoundaryRow], existing: Mapping[str, tuple[str, bool]],
                    names: Mapping[str, str] = {}, sample_limit: int = 20) -> BoundaryPlan:
    """`existing` is {kode: (boundary text or None, has_boundary)}; a new boundary counts as added."""
    plan = BoundaryPlan()
    for row in rows:
        current, has = existing.get(row.kode, (None, False))
        if has and current == row.geometry:
            plan.unchanged += 1
            continue
        action = "updated" if has and current else "added"
        setattr(plan, action, getattr(plan, action) + 1)
        plan.updates.append({"kode": row.kode, "boundary": row.geometry, "has_boundary": True})
        if len(plan.samples) < sample_limit:
            plan.samples.append((action, row.kode, names.get(row.kode, "")))
    return plan
