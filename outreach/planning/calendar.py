"""The planning calendar in the database: which days are off where (queries), and the admin's
entries (operations: add, change, delete, import from CSV), each change audited.

The rules (the kinds, how the `holidays` package and the entries combine, what an entry may hold)
are plain Python in outreach.planning.calendar_rules; the warnings a session gets from the calendar
are found by outreach.planning.conflicts from the `Place` built here. Every path that plans (the
session form and API, postponing, mop-up proposals, the planner, the demo) reads the calendar here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping, Optional

import sqlalchemy as sa
from flask import current_app, has_app_context, has_request_context
from sqlalchemy.orm import joinedload

from outreach.extensions import db
from outreach.imports.common import ImportReport, Problem, read_csv
from outreach.models import ImportBatch, Region, Site
from outreach.models.audit import diff, record_change
from outreach.models.calendar import CalendarEntry
from outreach.planning import calendar_rules as rules
from outreach.planning.conflicts import Place

AUDIT_ENTITY = "calendar_entry"
ENTRY_FIELDS = ("kind", "first_date", "last_date", "name", "region_kode", "replaces_date")


# ---------------------------------------------------------------- settings

def _country() -> str:
    return str(current_app.config.get("HOLIDAY_COUNTRY", "ID")) if has_app_context() else "ID"


def _language() -> str:
    """The holidays package's language for names: Indonesian, or English for an English-speaking user."""
    if has_request_context():
        from flask_babel import get_locale

        locale = get_locale()
        if locale is not None and not str(locale).startswith("id"):
            return "en_US"
    return "id"


def package_between(first: date, last: date) -> list[tuple[date, str, str]]:
    """The package's national days off (public holidays, cuti bersama) from `first` to `last`."""
    return rules.package_between(first, last, _country(), _language())


# ---------------------------------------------------------------- queries

def _entry(row) -> rules.Entry:
    return rules.Entry(id=row.id, kind=row.kind, first=row.first_date, last=row.last_date, name=row.name,
                       region_kode=row.region_kode or "", region_name=row.region_name or "",
                       replaces_date=row.replaces_date)


def load_entries(first: date, last: date, region_kodes: Optional[Iterable[str]] = None) -> list[rules.Entry]:
    """Entries touching [first, last] (or moving a package day inside it): national ones and those of
    `region_kodes` (None: of every region). One query."""
    E = CalendarEntry
    q = (sa.select(E.id, E.kind, E.first_date, E.last_date, E.name, E.region_kode, E.replaces_date,
                   Region.nama.label("region_name"))
         .outerjoin(Region, Region.kode == E.region_kode)
         .where(sa.or_(sa.and_(E.first_date >= first - timedelta(days=rules.MAX_ENTRY_DAYS), E.first_date <= last,
                               E.last_date >= first),
                       E.replaces_date.between(first, last))))
    if region_kodes is not None:
        q = q.where(E.region_kode.in_(sorted({""} | set(region_kodes))))
    return [_entry(row) for row in db.session.execute(q.order_by(E.first_date, E.id))]


def days_off_between(first: date, last: date,
                     region_kodes: Optional[Iterable[str]] = None) -> dict[date, tuple[rules.DayOff, ...]]:
    """Every day off from `first` to `last`, national and of `region_kodes` (None: every region)."""
    return rules.combine(first, last, package_between(first, last), load_entries(first, last, region_kodes))


def national_holidays(first: date, last: date) -> dict[date, str]:
    """{day: name} of the national days off (public holidays, cuti bersama, national election days)."""
    return rules.national_names(days_off_between(first, last, region_kodes=()))


def days_off_for_region(kode: str, first: date, last: date, *, schools: bool = True) -> dict[date, tuple]:
    """The days off that concern region `kode` (national, its kabupaten's; exam weeks when `schools`)."""
    return rules.for_place(days_off_between(first, last, [kode[:5]]), kode, schools)


def _place(site: Site, days_off: Mapping[date, tuple]) -> Place:
    from outreach.sites.rules import expand_date_spec

    return Place(site_name=site.nama,
                 days_off=rules.for_place(days_off, site.desa_kode, site.type == rules.SCHOOL_SITE_TYPE),
                 unavailable=expand_date_spec(site.unavailable_dates))


def place_for_site(site: Site, first: date, last: date) -> Place:
    """What the calendar says about `site` from `first` to `last` (its days off, its unavailable days)."""
    return _place(site, days_off_between(first, last, [site.kabupaten_kode]))


def places_for_sites(sites: Iterable[Site], first: date, last: date) -> dict[int, Place]:
    """{site id: Place} for many sites, reading the calendar once."""
    sites = list(sites)
    days_off = days_off_between(first, last, {s.kabupaten_kode for s in sites})
    return {s.id: _place(s, days_off) for s in sites}


# ---------------------------------------------------------------- the admin's year list

@dataclass
class YearRow:
    """One line of the admin's calendar list: a package day, or an entry (possibly correcting one)."""
    first: date
    last: date
    kind: str
    name: str
    region_kode: str = ""
    region_name: str = ""
    entry: Optional[CalendarEntry] = None
    corrected_by: Optional[CalendarEntry] = None  # a package day moved or cancelled by this entry


def visible_clause(scope_kode: Optional[str]):
    """SQL condition: entries an admin of `scope_kode` sees (national ones, and those in its region)."""
    if scope_kode is None:
        return sa.true()
    E = CalendarEntry
    return sa.or_(E.region_kode == "", E.region_kode == scope_kode, E.region_kode.like(scope_kode + ".%"),
                  sa.literal(scope_kode).like(E.region_kode + ".%"))


def year_rows(scope_kode: Optional[str], year: int, kind: Optional[str] = None) -> list[YearRow]:
    """The package's days and the visible entries of `year`, by date (entries with their authors: two queries)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    E = CalendarEntry
    entries = list(db.session.scalars(
        sa.select(E).options(joinedload(E.created_by), joinedload(E.updated_by))
        .where(visible_clause(scope_kode), sa.or_(sa.and_(E.first_date <= last, E.last_date >= first),
                                                  E.replaces_date.between(first, last)))
        .order_by(E.first_date, E.region_kode, E.id)))
    names = dict(db.session.execute(sa.select(Region.kode, Region.nama).where(
        Region.kode.in_({e.region_kode for e in entries if e.region_kode} or {""}))).all())
    plain = {e.id: _entry_of(e, names) for e in entries}
    dropped = rules.dropped_package_days(plain.values())
    by_id = {e.id: e for e in entries}
    rows = [YearRow(d, d, k, n, corrected_by=by_id[dropped[d].id] if d in dropped else None)
            for d, k, n in package_between(first, last)]
    rows += [YearRow(e.first_date, e.last_date, e.kind, e.name, e.region_kode, names.get(e.region_kode, ""), entry=e)
             for e in entries if e.first_date <= last and e.last_date >= first]
    if kind in rules.ENTRY_KINDS:
        rows = [r for r in rows if r.kind == kind]
    return sorted(rows, key=lambda r: (r.first, r.entry is not None, r.region_kode, r.entry.id if r.entry else 0))


def _entry_of(e: CalendarEntry, names: Mapping[str, str]) -> rules.Entry:
    return rules.Entry(e.id, e.kind, e.first_date, e.last_date, e.name, e.region_kode, names.get(e.region_kode, ""),
                       e.replaces_date)


def visible_entry(scope_kode: Optional[str], entry_id: int) -> Optional[CalendarEntry]:
    """The entry when an admin of `scope_kode` may see it, else None."""
    return db.session.scalar(sa.select(CalendarEntry).where(CalendarEntry.id == entry_id,
                                                            visible_clause(scope_kode)))


def kabupaten_choices(scope_kode: Optional[str]) -> list[tuple[str, str]]:
    """(kode, "kode — nama") of the kabupaten/kota an admin of `scope_kode` may give entries to."""
    q = sa.select(Region.kode, Region.nama).where(Region.level == "kabupaten")
    if scope_kode is not None:
        q = q.where(sa.or_(Region.kode == scope_kode, Region.kode.like(scope_kode + ".%")))
    return [(kode, f"{kode} — {nama}") for kode, nama in db.session.execute(q.order_by(Region.kode))]


# ---------------------------------------------------------------- writing

class Invalid(Exception):
    """An entry was refused; `problems` are calendar_rules.Message (field, Indonesian msgid, params)."""

    def __init__(self, problems: list[rules.Message]):
        super().__init__("; ".join(p.text for p in problems))
        self.problems = problems


class NotAllowed(Exception):
    """The admin's region does not cover the entry."""


def _region_fact(kode: str) -> Optional[rules.RegionFact]:
    """What the database knows of region `kode` (None when it is not there)."""
    if not kode:
        return None
    row = db.session.execute(sa.select(Region.kode, Region.nama, Region.level).where(Region.kode == kode)).first()
    return rules.RegionFact(*row) if row else None


def _package_map(*days: Optional[date]) -> dict[date, str]:
    """{day: name} of the package's days in the years of `days`."""
    years = {d.year for d in days if d is not None}
    if not years:
        return {}
    return {d: n for d, _k, n in package_between(date(min(years), 1, 1), date(max(years), 12, 31))}


def _corrections(exclude_id: Optional[int]) -> dict[date, str]:
    """Package days other entries already move or cancel: {day: that entry's name}."""
    E = CalendarEntry
    rows = db.session.execute(sa.select(E.id, E.kind, E.first_date, E.last_date, E.name, E.replaces_date)
                              .where(sa.or_(E.replaces_date.is_not(None), E.kind == rules.NOT_A_HOLIDAY),
                                     E.id != (exclude_id or -1)))
    entries = [rules.Entry(r.id, r.kind, r.first_date, r.last_date, r.name, replaces_date=r.replaces_date)
               for r in rows]
    return {d: e.name for d, e in rules.dropped_package_days(entries).items()}


def _taken(values: Mapping, exclude_id: Optional[int]) -> Optional[str]:
    """The name of another entry with the same kind, region and first day, if any."""
    first = rules.parse_day(values.get("first"), "first", [], required=False)
    if first is None:
        return None
    E = CalendarEntry
    return db.session.scalar(sa.select(E.name).where(
        E.kind == str(values.get("kind") or "").strip(), E.region_kode == str(values.get("region_kode") or "").strip(),
        E.first_date == first, E.id != (exclude_id or -1)))


def clean_entry(raw: Mapping, scope_kode: Optional[str], existing: Optional[CalendarEntry] = None) -> dict:
    """The entry's values checked against the rules and the database; raises Invalid."""
    exclude = existing.id if existing is not None else None
    first = rules.parse_day(raw.get("first"), "first", [], required=False)
    last = rules.parse_day(raw.get("last"), "last", [], required=False)
    replaces = rules.parse_day(raw.get("replaces_date"), "replaces_date", [], required=False)
    values, problems = rules.check_entry(
        raw, region=_region_fact(str(raw.get("region_kode") or "").strip()), scope_kode=scope_kode,
        package=_package_map(first, last, replaces), corrected=_corrections(exclude) if replaces else {},
        taken=_taken(raw, exclude))
    if problems:
        raise Invalid(problems)
    return values


def create_entry(user, raw: Mapping, scope_kode: Optional[str]) -> CalendarEntry:
    """Add an entry after checking it; audited."""
    values = clean_entry(raw, scope_kode)
    entry = CalendarEntry(**values, created_by_id=user.id if user else None, updated_by_id=user.id if user else None)
    db.session.add(entry)
    db.session.flush()
    record_change(AUDIT_ENTITY, entry.id, "create", user.id if user else None, _created(values))
    _commit_or_taken(values)
    return entry


def update_entry(user, entry: CalendarEntry, raw: Mapping, scope_kode: Optional[str]) -> dict:
    """Change an entry; returns the audited changes ({} when nothing changed)."""
    if not rules.may_manage(entry.region_kode, scope_kode):
        raise NotAllowed()
    values = clean_entry(raw, scope_kode, entry)
    changes = diff(entry, ENTRY_FIELDS, values)
    if not changes:
        return {}
    for name in changes:
        setattr(entry, name, values[name])
    entry.updated_by_id = user.id if user else None
    record_change(AUDIT_ENTITY, entry.id, "update", user.id if user else None, changes)
    _commit_or_taken(values)
    return changes


def delete_entry(user, entry: CalendarEntry, scope_kode: Optional[str]) -> None:
    """Remove an entry (a corrected package day comes back); audited with what it held."""
    if not rules.may_manage(entry.region_kode, scope_kode):
        raise NotAllowed()
    record_change(AUDIT_ENTITY, entry.id, "delete", user.id if user else None,
                  {k: [v, None] for k, v in _created({f: getattr(entry, f) for f in ENTRY_FIELDS}).items()})
    db.session.delete(entry)
    db.session.commit()


def _created(values: Mapping) -> dict:
    return {k: [None, v.isoformat() if hasattr(v, "isoformat") else v] for k, v in values.items()
            if v not in (None, "")}


def _commit_or_taken(values: Mapping) -> None:
    """Commit; another admin's entry with the same key saved meanwhile becomes the usual message."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        label = rules.KIND_LABELS.get(values["kind"], values["kind"])
        raise Invalid([rules.Message("first", rules.N_("Sudah ada entri %(kind)s mulai %(date)s untuk wilayah yang "
                                                      "sama: %(name)s. Ubah entri itu."),
                                     {"kind": label, "date": values["first_date"].isoformat(), "name": values["name"]})])


# ---------------------------------------------------------------- CSV import

REQUIRED_COLUMNS = ("jenis", "tanggal", "nama")
OPTIONAL_COLUMNS = ("tanggal_akhir", "wilayah", "menggantikan")
_COLUMN_OF = {"kind": "jenis", "first": "tanggal", "last": "tanggal_akhir", "name": "nama", "region_kode": "wilayah",
              "replaces_date": "menggantikan"}


def import_csv(data: bytes, *, filename: str = "", user_id: Optional[int] = None, commit: bool = False) -> ImportReport:
    """Check a calendar CSV (see the README) and, when every row is good and `commit`, upsert it on
    (jenis, wilayah, tanggal) in one transaction. Run twice, the second run changes nothing."""
    report = ImportReport(kind="calendar", filename=filename)
    read = read_csv(data, REQUIRED_COLUMNS, OPTIONAL_COLUMNS)
    report.errors.extend(read.errors)
    report.warnings.extend(read.warnings)
    if read.table is None:
        return report
    E = CalendarEntry
    existing = {(e.kind, e.region_kode, e.first_date): e for e in db.session.scalars(sa.select(E))}
    named = {row.get("wilayah", "").strip() for _line, row in read.table.rows} - {""}
    regions = {r.kode: rules.RegionFact(r.kode, r.nama, r.level) for r in db.session.execute(
        sa.select(Region.kode, Region.nama, Region.level).where(Region.kode.in_(sorted(named) or [""])))}
    corrections = rules.dropped_package_days([_entry_of(e, {}) for e in existing.values()])
    seen: dict[tuple, int] = {}
    plan: list[tuple[Optional[CalendarEntry], dict]] = []
    for line, row in read.table.rows:
        raw = {key: row.get(column, "") for key, column in _COLUMN_OF.items()}
        days = [rules.parse_day(raw[k], k, [], required=False) for k in ("first", "last", "replaces_date")]
        key = (raw["kind"].strip(), raw["region_kode"].strip(), days[0])
        current = existing.get(key)
        others = {d: e.name for d, e in corrections.items() if current is None or e.id != current.id}
        values, problems = rules.check_entry(raw, region=regions.get(key[1]), scope_kode=None,
                                             package=_package_map(*days), corrected=others)
        if key in seen and days[0] is not None:
            problems.append(rules.Message("first", rules.N_("Entri yang sama (jenis, wilayah, tanggal) sudah ada di "
                                                            "baris %(line)s."), {"line": seen[key]}))
        seen.setdefault(key, line)
        report.errors.extend(Problem(line, p.msgid, p.params) for p in problems)
        if problems:
            continue
        if values["replaces_date"] is not None:  # a later row may not correct the same package day
            corrections[values["replaces_date"]] = rules.Entry(None, values["kind"], values["first_date"],
                                                               values["last_date"], values["name"])
        plan.append((current, values))
    for current, values in plan:
        if current is None:
            report.added += 1
        elif diff(current, ENTRY_FIELDS, values):
            report.updated += 1
        else:
            report.unchanged += 1
    if not commit or not report.ok:
        db.session.rollback()
        return report
    for current, values in plan:
        if current is None:
            db.session.add(CalendarEntry(**values, created_by_id=user_id, updated_by_id=user_id))
        elif diff(current, ENTRY_FIELDS, values):
            for name, value in values.items():
                setattr(current, name, value)
            current.updated_by_id = user_id
    batch = ImportBatch(kind="calendar", filename=filename[:255], user_id=user_id, added=report.added,
                        updated=report.updated, unchanged=report.unchanged)
    db.session.add(batch)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        report.errors.append(Problem(0, rules.N_("Data kalender berubah selama impor berlangsung; tidak ada yang "
                                                 "disimpan. Jalankan impor sekali lagi.")))
        return report
    report.committed, report.batch_id = True, batch.id
    return report
