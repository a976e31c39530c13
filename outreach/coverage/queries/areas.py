"""The area a coverage question is about, and what every coverage query shares: the errors, the
settings, the per-request memo and the one pass over an area's desa that gives its figures.

One pass over an area's desa gives the area, its children and its kecamatan (`area_bundle`); within a
GET request the panels of a page share it (memo on `g`), and across requests outreach.regions.queries
remembers the sums until a log, known-away or region row changes (setting COVERAGE_CACHE).

Bad input raises `CoverageError` (`.status` 400 or 404, `.message` in Bahasa Indonesia):
`RegionNotFound` for an unknown code or one outside the user's scope, `BadInput` otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context, request

from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Region
from outreach.models.field import TurnoutLog
from outreach.models.planning import RecordingSession
from outreach.models.regions import level_of
from outreach.vocab import LEVELS
from outreach.permissions import in_scope, scope_of
from outreach.regions import queries as rq
from outreach.regions.figures import AreaFigures
from outreach.regions.provinces import province_name
from outreach.regions.queries import within_condition

CHILD_LEVEL = {"provinsi": "kabupaten", "kabupaten": "kecamatan", "kecamatan": "desa", "desa": None}


# ---------------------------------------------------------------- errors

class CoverageError(Exception):
    """Bad input for a coverage question; `status` is the HTTP status an API answers with."""
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RegionNotFound(CoverageError):
    status = 404


class BadInput(CoverageError):
    status = 400


# ---------------------------------------------------------------- settings

def setting(name: str, default):
    """The app setting `name`; `default` when unset or empty."""
    value = current_app.config.get(name, default)
    return default if value is None or value == "" else value


def as_date(value, name: str) -> Optional[date]:
    """A date given as a date or YYYY-MM-DD text (None when empty); BadInput naming `name` otherwise."""
    if value is None or isinstance(value, date):
        return value
    raw = str(value).strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(_("%(name)s: '%(raw)s' bukan tanggal; tulis YYYY-MM-DD, mis. 2026-09-15.",
                         name=name, raw=raw[:20]))


def forecast_weeks() -> int:
    return int(setting("FORECAST_WEEKS", 8))


def coverage_deadline() -> Optional[date]:
    raw = setting("COVERAGE_DEADLINE", None)
    return as_date(raw, "COVERAGE_DEADLINE") if raw else None


def pemilih_pemula_cutoff() -> Optional[date]:
    raw = setting("PEMILIH_PEMULA_CUTOFF", None)
    return as_date(raw, "PEMILIH_PEMULA_CUTOFF") if raw else None

# ---------------------------------------------------------------- areas and scope

@dataclass(frozen=True)
class Area:
    """The area a question is about. `kode` None: every region (several provinces, or none at all).
    `synthetic`: no Region row exists for it (e.g. the province row is missing): its figures are
    summed over its desa all the same."""
    kode: Optional[str]
    nama: str
    level: str
    kind: str
    parent_kode: Optional[str] = None
    lat: Optional[float] = None
    lng: Optional[float] = None
    synthetic: bool = False

    @property
    def child_level(self) -> Optional[str]:
        return CHILD_LEVEL.get(self.level)

    @property
    def big(self) -> bool:
        """A province or everything: its slow-moving values are shared by every worker (SharedCache)."""
        return self.kode is None or self.level == "provinsi"


def _area_from_row(row) -> Area:
    return Area(kode=row.kode, nama=row.nama, level=row.level, kind=row.kind, parent_kode=row.parent_kode,
                lat=row.lat, lng=row.lng)


def _region_row(kode: str):
    return db.session.execute(sa.select(Region.kode, Region.nama, Region.level, Region.kind, Region.parent_kode,
                                        Region.lat, Region.lng).where(Region.kode == kode)).first()


def _synthetic_province(kode: str) -> Optional[Area]:
    """The province `kode` built from its kabupaten when its own row is missing (None: no such province)."""
    exists = db.session.scalar(sa.select(Region.kode).where(Region.provinsi_kode == kode).limit(1))
    if exists is None:
        return None
    return Area(kode=kode, nama=province_name(kode) or _("Provinsi %(kode)s", kode=kode), level="provinsi",
                kind="provinsi", synthetic=True)


def _everything() -> Area:
    """An unscoped admin's default area: the one province (row or synthetic), else all regions."""
    provinces = db.session.scalars(sa.select(Region.provinsi_kode).distinct().limit(2)).all()
    if len(provinces) == 1:
        row = _region_row(provinces[0])
        return _area_from_row(row) if row is not None else _synthetic_province(provinces[0])
    return Area(kode=None, nama=_("Semua wilayah"), level="provinsi", kind="provinsi", synthetic=True)


def resolve_area(user, region_kode: Optional[str] = None) -> Area:
    """The area `region_kode` (default: the user's scope); RegionNotFound when unknown or out of scope."""
    memo = request_memo()
    key = ("area", getattr(user, "id", None), scope_of(user), (region_kode or "").strip())
    if memo is not None and key in memo:
        return memo[key]
    area = _resolve_area(user, region_kode)
    if memo is not None:
        memo[key] = area
    return area


def _resolve_area(user, region_kode: Optional[str]) -> Area:
    raw = (region_kode or "").strip()
    if not raw:
        scope = scope_of(user)
        if scope is None:
            return _everything()
        raw = scope
    if len(raw) > 20 or level_of(raw) is None or not in_scope(user, raw):
        raise RegionNotFound(_("Wilayah %(kode)s tidak ditemukan.", kode=raw[:20]))
    row = _region_row(raw)
    if row is not None:
        return _area_from_row(row)
    if level_of(raw) == "provinsi" and scope_of(user) is None:
        area = _synthetic_province(raw)
        if area is not None:
            return area
    raise RegionNotFound(_("Wilayah %(kode)s tidak ditemukan.", kode=raw[:20]))


def area_condition(area: Area, model=Region):
    """SQL condition: rows of `model` (provinsi/kabupaten/kecamatan/desa_kode or Region) inside `area`."""
    if area.kode is None:
        return sa.true()
    if model is Region:
        return within_condition(area.kode)
    column = {"provinsi": "provinsi_kode", "kabupaten": "kabupaten_kode", "kecamatan": "kecamatan_kode",
              "desa": "desa_kode"}[area.level]
    return getattr(model, column) == area.kode


def _top_level() -> str:
    """The level listed under "every region": provinsi rows when there are any, else kabupaten."""
    has_province = db.session.scalar(sa.select(Region.kode).where(Region.level == "provinsi").limit(1))
    return "provinsi" if has_province else "kabupaten"


def _bundle_levels(area: Area) -> list[str]:
    """The levels one pass computes for `area`: its children and the kecamatan (forecast, slowest areas). A big
    area's forecast is a shared panel (outreach.coverage.panels), computed apart: its pass leaves the
    kecamatan out (7,285 of them for the country)."""
    if area.kode is None:
        levels = [_top_level()]
    else:
        levels = [area.level]
        if area.child_level:
            levels.append(area.child_level)
        if LEVELS.index(area.level) < LEVELS.index("kecamatan") and not area.big:
            levels.append("kecamatan")
    return list(dict.fromkeys(levels))


def request_memo() -> Optional[dict]:
    """Per-request memo of the area figures: one pass over the desa serves every panel of a page.
    Only for GET/HEAD requests (they change nothing) and forgotten on any flush."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return None
    if "coverage_memo" not in g:
        g.coverage_memo = {}
    return g.coverage_memo


@sa.event.listens_for(sa.orm.Session, "after_flush")
def _forget_memo(session, flush_context):  # noqa: ARG001
    if has_app_context():
        g.pop("coverage_memo", None)


class AreaBundle:
    """The figures one pass over an area's desa gives: the area itself (`own`) and every region of the
    bundle's levels inside it (`level(name)`, built on first use)."""

    def __init__(self, area: Area, levels: list[str], rows: list, totals: dict):
        self.area, self.levels, self._rows, self._totals = area, levels, rows, totals
        self._built: dict[str, dict[str, AreaFigures]] = {}
        own = None
        if area.kode is not None and not area.synthetic:
            row = next((r for r in rows if r.kode == area.kode), None)
            if row is not None:
                own = rq.apply_totals(rq.new_figures(row), totals.get((area.level, area.kode)))
        if own is None:
            own = AreaFigures(kode=area.kode or "", nama=area.nama, level=area.level, kind=area.kind,
                              parent_kode=area.parent_kode, lat=area.lat, lng=area.lng)
            rq.apply_totals(own, totals.get((area.level, area.kode) if area.kode is not None else ("", "")))
        self.own = own

    def __contains__(self, level: str) -> bool:
        return level in self.levels

    def level(self, level: str) -> dict[str, AreaFigures]:
        """{kode: AreaFigures} of the bundle's regions of `level`, by code."""
        if level not in self._built:
            self._built[level] = {
                r.kode: (self.own if r.kode == self.own.kode and r.level == self.own.level else
                         rq.apply_totals(rq.new_figures(r), self._totals.get((level, r.kode))))
                for r in self._rows if r.level == level}
        return self._built[level]


def area_bundle(area: Area) -> AreaBundle:
    """One pass over the area's desa (two queries, plus the region rows) giving the area's figures, its
    children's and those of the kecamatan inside it; memoised per request."""
    memo = request_memo()
    key = ("bundle", area.kode, area.synthetic)
    if memo is not None and key in memo:
        return memo[key]
    levels = _bundle_levels(area)
    # A synthetic province has no row of its own; "every region" (kode None) lists the real province rows.
    row_levels = [lv for lv in levels if not (area.synthetic and area.kode is not None and lv == area.level)]
    group_levels = ([None] if area.kode is None else []) + levels

    def compute():
        return (tuple(rq.region_rows(row_levels, area.kode)),
                rq.compute_totals(group_levels, rq.DesaFilter.within(area.kode)))

    # One fingerprint check covers both the region rows and the sums (see outreach.regions.queries.cached).
    rows, totals = rq.cached(("bundle", area.kode, tuple(row_levels), tuple(group_levels)), compute)
    bundle = AreaBundle(area, levels, rows, totals)
    if memo is not None:
        memo[key] = bundle
    return bundle


def own_figures(area: Area) -> AreaFigures:
    """The figures of the area itself."""
    return area_bundle(area).own


def covers_every_log(area: Area) -> bool:
    """True when no log or session can lie outside the area (everything, or the only province)."""
    if area.kode is None:
        return True
    if area.level != "provinsi":
        return False
    memo = request_memo()
    if memo is not None and "one_province" in memo:
        return memo["one_province"]
    one = db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(Region.provinsi_kode).distinct().limit(2).subquery())) == 1
    if memo is not None:
        memo["one_province"] = one
    return one


def log_area_condition(area: Area):
    """SQL: turnout logs (or sessions) inside the area; none at all when the area holds every log, so the
    database may use its date or time indexes instead of a condition that filters nothing out."""
    return sa.true() if covers_every_log(area) else area_condition(area, TurnoutLog)


def session_area_condition(area: Area):
    return sa.true() if covers_every_log(area) else area_condition(area, RecordingSession)
