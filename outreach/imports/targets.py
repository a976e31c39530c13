"""Targets CSV (`kode,wajib_ktp,sudah_rekam,as_of` per desa; NPSN for a school's pemilih pemula). Pure Python.

Columns: kode (desa/kelurahan code, or a school's NPSN), wajib_ktp, sudah_rekam, as_of (YYYY-MM-DD);
optional npsn (then the row is a school's pemilih pemula target: wajib_ktp = students turning 17 by
the cut-off, sudah_rekam = those already recorded), sumber (where the figures come from), nama
(ignored, for people reading the file).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Container, Mapping, Optional

from outreach.i18n import N_
from outreach.imports.common import (Problem, Tick, ValueProblem, check_length, counted, parse_count, parse_date,
                                     read_csv)
from outreach.models.regions import level_of

REQUIRED = ("wajib_ktp", "sudah_rekam", "as_of")
OPTIONAL = ("kode", "npsn", "sumber", "source")
IGNORED = ("nama",)
_NPSN_RE = re.compile(r"^[0-9A-Za-z]{8}$")


@dataclass
class TargetRow:
    line: int
    kode: Optional[str]  # desa code, or the desa code written beside an npsn
    npsn: Optional[str]
    wajib_ktp: int
    sudah_rekam: int
    as_of: date
    source: str = ""


@dataclass
class TargetsParsed:
    rows: list[TargetRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def parse_targets(data: bytes, today: Optional[date] = None, tick: Tick = None) -> TargetsParsed:
    """Validate a whole targets file (values only; codes are checked by `resolve_targets`)."""
    read = read_csv(data, REQUIRED, OPTIONAL, IGNORED)
    out = TargetsParsed(errors=list(read.errors), warnings=list(read.warnings))
    if read.table is None:
        return out
    if "kode" not in read.table.columns and "npsn" not in read.table.columns:
        out.errors.append(Problem(1, N_("Kolom wajib tidak ada: kode (kode desa/kelurahan atau NPSN sekolah)."), fatal=True))
        return out
    first_seen: dict[tuple, int] = {}
    for line, cells in counted(read.table.rows, tick):
        try:
            row = _parse_row(line, cells, today)
        except ValueProblem as exc:
            out.errors.append(exc.at(line))
            continue
        key = (("npsn", row.npsn) if row.npsn else ("desa", row.kode), row.as_of)
        if key in first_seen:
            out.errors.append(Problem(line, N_("%(subject)s dengan as_of %(as_of)s ganda: sudah ada di baris %(first)d."),
                                      {"subject": key[0][1], "as_of": row.as_of.isoformat(), "first": first_seen[key]}))
            continue
        first_seen[key] = line
        out.rows.append(row)
    return out


def _parse_row(line: int, cells: Mapping[str, str], today: Optional[date]) -> TargetRow:
    kode = cells.get("kode", "")
    npsn = cells.get("npsn", "")
    if not npsn and "." not in kode and _NPSN_RE.match(kode):
        npsn, kode = kode, ""
    if npsn:
        if not _NPSN_RE.match(npsn):
            raise ValueProblem(N_("npsn \"%(value)s\" tidak sah (8 angka/huruf)."), value=npsn)
        if kode and kode != npsn and level_of(kode) != "desa":
            raise ValueProblem(N_("kode \"%(kode)s\" di samping npsn harus kode desa/kelurahan sekolah itu."), kode=kode)
    elif kode == "":
        raise ValueProblem(N_("kode wajib diisi (kode desa/kelurahan atau NPSN sekolah)."))
    elif level_of(kode) != "desa":
        raise ValueProblem(N_("kode \"%(kode)s\" bukan kode desa/kelurahan (mis. 33.74.01.1001) maupun NPSN; target "
                              "dicatat per desa/kelurahan."), kode=kode)
    wajib = parse_count(cells["wajib_ktp"], "wajib_ktp")
    sudah = parse_count(cells["sudah_rekam"], "sudah_rekam")
    if sudah > wajib:
        raise ValueProblem(N_("sudah_rekam (%(sudah)d) melebihi wajib_ktp (%(wajib)d)."), sudah=sudah, wajib=wajib)
    as_of = parse_date(cells["as_of"], "as_of", today)
    source = check_length(cells.get("sumber", "") or cells.get("source", ""), "sumber", 200, required=False)
    return TargetRow(line=line, kode=(kode if kode != npsn else "") or None, npsn=npsn or None, wajib_ktp=wajib,
                     sudah_rekam=sudah, as_of=as_of, source=source)


@dataclass
class ResolvedTarget:
    row: TargetRow
    subject: tuple  # ("desa", kode) or ("site", site_id)


def resolve_targets(rows: list[TargetRow], desa_codes: Container[str], schools: Mapping[str, tuple[int, str]]
                    ) -> tuple[list[ResolvedTarget], list[Problem]]:
    """Attach each row to a desa in the database or a school site ({npsn: (site_id, desa_kode)})."""
    resolved, errors = [], []
    for row in rows:
        if row.npsn:
            school = schools.get(row.npsn)
            if school is None:
                errors.append(Problem(row.line, N_("Sekolah dengan npsn %(npsn)s tidak ada di basis data. Impor sekolah "
                                                   "dahulu."), {"npsn": row.npsn}))
                continue
            if row.kode and row.kode != school[1]:
                errors.append(Problem(row.line, N_("Sekolah %(npsn)s terdaftar di desa %(desa)s, bukan %(kode)s."),
                                      {"npsn": row.npsn, "desa": school[1], "kode": row.kode}))
                continue
            resolved.append(ResolvedTarget(row, ("site", school[0])))
        elif row.kode not in desa_codes:
            errors.append(Problem(row.line, N_("Desa/kelurahan %(kode)s tidak ada di basis data. Impor wilayah dahulu."),
                                  {"kode": row.kode}))
        else:
            resolved.append(ResolvedTarget(row, ("desa", row.kode)))
    return resolved, errors


@dataclass
class TargetPlan:
    history: list[dict] = field(default_factory=list)  # new TargetCount rows (without batch_id)
    region_updates: list[dict] = field(default_factory=list)
    site_updates: list[dict] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0  # kept as history only: a newer figure is already current
    samples: list[tuple[str, str, str]] = field(default_factory=list)


def plan_targets(resolved: list[ResolvedTarget], history: Mapping[tuple, Mapping[date, tuple[int, int]]],
                 current: Mapping[tuple, Optional[tuple[int, int, date]]], default_source: str = "",
                 labels: Mapping[tuple, str] = {}, sample_limit: int = 20) -> TargetPlan:
    """What to append to the history and which denormalised figures change (the newest as_of wins).

    `history` is {subject: {as_of: (wajib, sudah) of the latest row for that date}}; `current` is
    {subject: (wajib, sudah, as_of) shown now, or None}.
    """
    plan = TargetPlan()
    newest: dict[tuple, tuple[int, int, date]] = {}
    for item in resolved:
        row, subject = item.row, item.subject
        figures = (row.wajib_ktp, row.sudah_rekam)
        previous = history.get(subject, {}).get(row.as_of)
        if previous == figures:
            plan.unchanged += 1
            continue
        action = "updated" if previous is not None else "added"
        setattr(plan, action, getattr(plan, action) + 1)
        kind, ident = subject
        plan.history.append({"desa_kode": ident if kind == "desa" else None, "site_id": ident if kind == "site" else None,
                             "wajib_ktp": row.wajib_ktp, "sudah_rekam": row.sudah_rekam, "as_of": row.as_of,
                             "source": row.source or default_source})
        best = newest.get(subject) or current.get(subject)
        if best is None or row.as_of >= best[2]:
            newest[subject] = (row.wajib_ktp, row.sudah_rekam, row.as_of)
        if len(plan.samples) < sample_limit:
            plan.samples.append((action, labels.get(subject, row.npsn or row.kode or ""),
                                 f"{row.as_of.isoformat()}: {row.sudah_rekam}/{row.wajib_ktp}"))
    plan.older = sum(1 for h in plan.history
                     if (h["desa_kode"] and h["as_of"] < _newest_date(newest, current, ("desa", h["desa_kode"])))
                     or (h["site_id"] and h["as_of"] < _newest_date(newest, current, ("site", h["site_id"]))))
    for subject, (wajib, sudah, as_of) in sorted(newest.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if current.get(subject) == (wajib, sudah, as_of):
            continue
        kind, ident = subject
        if kind == "desa":
            plan.region_updates.append({"kode": ident, "wajib_ktp": wajib, "sudah_rekam": sudah, "target_as_of": as_of})
        else:
            plan.site_updates.append({"id": ident, "pemilih_pemula": wajib, "pemilih_pemula_recorded": sudah,
                                      "pemilih_pemula_as_of": as_of})
    return plan


def _newest_date(newest: Mapping, current: Mapping, subject: tuple) -> date:
    best = newest.get(subject) or current.get(subject)
    return best[2] if best else date.min
