"""The planning calendar's rules: plain Python, no Flask, no database.

The days on which no session should be planned somewhere come from two sources:

- the `holidays` package (offline data): Indonesia's national public holidays and, under its
  "government" category, the cuti bersama of the SKB 3 Menteri;
- the admin's calendar entries: extra national days, regional holidays of a kabupaten/kota,
  election days (national, or a kabupaten's pilkada), school exam weeks (a kabupaten's schools
  only), and corrections of the package (an entry that `replaces_date` moves a package day, a
  "bukan libur" entry cancels the package days it covers).

`combine(...)` merges them into {date: (DayOff, ...)}; `for_place(...)` keeps what applies at one
site. `check_entry(...)` validates an entry's raw values (admin form and CSV import alike) and
returns Indonesian msgids with their parameters, translated where they are shown.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Iterable, Mapping, NamedTuple, Optional

from outreach.i18n import N_



# Entry kinds (stored in the database and in the CSV's `jenis` column).
NATIONAL_HOLIDAY = "libur_nasional"
CUTI_BERSAMA = "cuti_bersama"
REGIONAL_HOLIDAY = "libur_daerah"
ELECTION_DAY = "hari_pemilu"
EXAM_WEEK = "ujian_sekolah"
NOT_A_HOLIDAY = "bukan_libur"
ENTRY_KINDS = (NATIONAL_HOLIDAY, CUTI_BERSAMA, REGIONAL_HOLIDAY, ELECTION_DAY, EXAM_WEEK, NOT_A_HOLIDAY)
KIND_LABELS = {
    NATIONAL_HOLIDAY: N_("Libur nasional"),
    CUTI_BERSAMA: N_("Cuti bersama"),
    REGIONAL_HOLIDAY: N_("Libur daerah"),
    ELECTION_DAY: N_("Hari pemungutan suara"),
    EXAM_WEEK: N_("Masa ujian sekolah"),
    NOT_A_HOLIDAY: N_("Bukan hari libur (koreksi paket)"),
}
NATIONAL_ONLY = frozenset({NATIONAL_HOLIDAY, CUTI_BERSAMA, NOT_A_HOLIDAY})
REGIONAL_ONLY = frozenset({REGIONAL_HOLIDAY, EXAM_WEEK})  # ELECTION_DAY: either
# Kinds whose entry may move a package day (`replaces_date`).
CORRECTING_KINDS = frozenset({NATIONAL_HOLIDAY, CUTI_BERSAMA})
SCHOOL_SITE_TYPE = "sekolah"

NAME_MAX_CHARS = 120
MAX_ENTRY_DAYS = 31
FIRST_YEAR, LAST_YEAR = 2000, 2100
# The `holidays` package's category holding Indonesia's cuti bersama.
CUTI_BERSAMA_CATEGORY = {"ID": "government"}


class DayOff(NamedTuple):
    """One reason a day is off somewhere: a holiday, cuti bersama, regional holiday, election or exam week."""
    kind: str
    name: str
    region_kode: str = ""  # "" = the whole country
    region_name: str = ""
    entry_id: Optional[int] = None  # None: from the holidays package

    @property
    def national(self) -> bool:
        return not self.region_kode


@dataclass(frozen=True)
class Entry:
    """An admin's calendar entry, as plain values."""
    id: Optional[int]
    kind: str
    first: date
    last: date
    name: str
    region_kode: str = ""
    region_name: str = ""
    replaces_date: Optional[date] = None

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


class Message(NamedTuple):
    """A problem with one field of an entry: an Indonesian msgid and its parameters."""
    field: str
    msgid: str
    params: dict

    @property
    def text(self) -> str:
        return self.msgid % self.params if self.params else self.msgid


# ---------------------------------------------------------------- the holidays package

@lru_cache(maxsize=128)
def package_days(country: str, year: int, language: str = "id") -> tuple[tuple[date, str, str], ...]:
    """(day, kind, name) of the national days off the `holidays` package knows for one year: public
    holidays, and cuti bersama where the package has them (Indonesia: category "government")."""
    if not country:
        return ()
    import holidays as holidays_lib

    out: list[tuple[date, str, str]] = []
    try:
        public = holidays_lib.country_holidays(country, years=[year], language=language)
        out += [(d, NATIONAL_HOLIDAY, n) for d, n in public.items()]
        category = CUTI_BERSAMA_CATEGORY.get(country)
        if category:
            extra = holidays_lib.country_holidays(country, years=[year], language=language, categories=(category,))
            out += [(d, CUTI_BERSAMA, n) for d, n in extra.items()]
    except (NotImplementedError, KeyError):  # unknown country or category: no days rather than a crash
        return ()
    return tuple(sorted(out))


def package_between(first: date, last: date, country: str, language: str = "id") -> list[tuple[date, str, str]]:
    """The package's national days off from `first` to `last`."""
    return [row for year in range(first.year, last.year + 1) for row in package_days(country, year, language)
            if first <= row[0] <= last]


# ---------------------------------------------------------------- combining

def dropped_package_days(entries: Iterable[Entry]) -> dict[date, Entry]:
    """Package days the admin corrected: {day: the entry that moved or cancelled it}."""
    out: dict[date, Entry] = {}
    for e in entries:
        if e.kind == NOT_A_HOLIDAY:
            for d in e.days():
                out.setdefault(d, e)
        elif e.replaces_date is not None:
            out.setdefault(e.replaces_date, e)
    return out


def combine(first: date, last: date, package: Iterable[tuple[date, str, str]],
            entries: Iterable[Entry]) -> dict[date, tuple[DayOff, ...]]:
    """Every day off from `first` to `last`: the package's days the admin did not correct, then the entries."""
    entries = list(entries)
    dropped = dropped_package_days(entries)
    out: dict[date, list[DayOff]] = defaultdict(list)
    for day, kind, name in package:
        if first <= day <= last and day not in dropped:
            out[day].append(DayOff(kind, name))
    for e in sorted(entries, key=lambda e: (e.first, e.region_kode, e.kind, e.id or 0)):
        if e.kind == NOT_A_HOLIDAY:
            continue
        for d in e.days():
            if first <= d <= last:
                out[d].append(DayOff(e.kind, e.name, e.region_kode, e.region_name, e.id))
    return {d: tuple(out[d]) for d in sorted(out)}


def within(kode: str, region_kode: str) -> bool:
    """True when region `kode` lies in `region_kode` ("" = the whole country)."""
    return not region_kode or kode == region_kode or kode.startswith(region_kode + ".")


def applies(off: DayOff, kode: str, school: bool) -> bool:
    """Whether a day off concerns a site in region `kode` (a school when `school`)."""
    return within(kode, off.region_kode) and (off.kind != EXAM_WEEK or school)


def for_place(days_off: Mapping[date, Iterable[DayOff]], kode: str, school: bool) -> dict[date, tuple[DayOff, ...]]:
    """The days off that apply at a site of region `kode`: national ones, its kabupaten's, and exam
    weeks when it is a school."""
    out = {}
    for day, offs in days_off.items():
        kept = tuple(o for o in offs if applies(o, kode, school))
        if kept:
            out[day] = kept
    return out


def national_names(days_off: Mapping[date, Iterable[DayOff]]) -> dict[date, str]:
    """{day: name} of the national days off (public holidays, cuti bersama, national elections)."""
    out = {}
    for day, offs in days_off.items():
        names = [o.name for o in offs if o.national]
        if names:
            out[day] = "; ".join(names)
    return out


# ---------------------------------------------------------------- checking an entry

def parse_day(raw, fld: str, problems: list[Message], *, required: bool) -> Optional[date]:
    """A date written TTTT-BB-HH (or a date object); adds a problem and returns None when it is not one."""
    if isinstance(raw, date):
        value = raw
    else:
        text = str(raw or "").strip()
        if not text:
            if required:
                problems.append(Message(fld, N_("Tanggal wajib diisi."), {}))
            return None
        try:
            value = date.fromisoformat(text)
        except ValueError:
            problems.append(Message(fld, N_("Tanggal \"%(value)s\" tidak dikenali; tulis TTTT-BB-HH, mis. 2026-12-24."),
                                    {"value": text[:30]}))
            return None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        problems.append(Message(fld, N_("Tanggal harus di antara tahun %(first)s dan %(last)s."),
                                {"first": FIRST_YEAR, "last": LAST_YEAR}))
        return None
    return value


class RegionFact(NamedTuple):
    """What the database knows of the region an entry names."""
    kode: str
    nama: str
    level: str


def check_entry(raw: Mapping, *, region: Optional[RegionFact], scope_kode: Optional[str],
                package: Mapping[date, str], corrected: Optional[Mapping[date, str]] = None,
                taken: Optional[str] = None) -> tuple[dict, list[Message]]:
    """Clean and check an entry's raw values (kind, first, last, name, region_kode, replaces_date).

    `region`: the region named by region_kode (None when none is named or it does not exist);
    `scope_kode`: the admin's region (None: unscoped, may manage national entries);
    `package`: the package's days off in the years of the entry's dates ({day: name});
    `corrected`: package days already corrected by another entry ({day: its name});
    `taken`: the name of another entry with the same kind, region and first date, if any.
    Returns the cleaned values and the problems (empty when the entry may be saved).
    """
    problems: list[Message] = []
    kind = str(raw.get("kind") or "").strip()
    if kind not in ENTRY_KINDS:
        problems.append(Message("kind", N_("Jenis hari tidak dikenal; pilih salah satu dari: %(kinds)s."),
                                {"kinds": ", ".join(ENTRY_KINDS)}))
    first = parse_day(raw.get("first"), "first", problems, required=True)
    last = parse_day(raw.get("last"), "last", problems, required=False) or first
    if first and last:
        if last < first:
            problems.append(Message("last", N_("Rentang terbalik: tanggal akhir %(last)s sebelum tanggal mulai "
                                               "%(first)s."), {"last": last.isoformat(), "first": first.isoformat()}))
        elif (last - first).days + 1 > MAX_ENTRY_DAYS:
            problems.append(Message("last", N_("Rentang terlalu panjang: %(days)s hari, paling lama %(max)s hari."),
                                    {"days": (last - first).days + 1, "max": MAX_ENTRY_DAYS}))
    name = " ".join(str(raw.get("name") or "").split())
    if not name:
        problems.append(Message("name", N_("Nama wajib diisi, mis. \"Cuti bersama Natal\"."), {}))
    elif len(name) > NAME_MAX_CHARS:
        problems.append(Message("name", N_("Nama paling banyak %(max)s karakter."), {"max": NAME_MAX_CHARS}))
    region_kode = str(raw.get("region_kode") or "").strip()
    _check_region(kind, region_kode, region, scope_kode, problems)
    if kind == NOT_A_HOLIDAY and first and last and first <= last and not any(first <= d <= last for d in package):
        problems.append(Message("first", N_("Tidak ada hari libur dari paket holidays pada %(first)s s.d. %(last)s, "
                                            "jadi tidak ada yang dibatalkan."),
                                {"first": first.isoformat(), "last": last.isoformat()}))
    replaces = parse_day(raw.get("replaces_date"), "replaces_date", problems, required=False)
    if replaces is not None:
        if kind in ENTRY_KINDS and kind not in CORRECTING_KINDS:
            problems.append(Message("replaces_date", N_("Hanya libur nasional atau cuti bersama yang dapat "
                                                        "menggantikan tanggal dari paket holidays."), {}))
        elif replaces not in package:
            problems.append(Message("replaces_date", N_("Tanggal %(date)s bukan hari libur dalam data paket "
                                                        "holidays, jadi tidak ada yang digantikan."),
                                    {"date": replaces.isoformat()}))
        elif replaces in (corrected or {}):
            problems.append(Message("replaces_date", N_("Tanggal paket %(date)s sudah dikoreksi oleh entri lain "
                                                        "(%(name)s)."),
                                    {"date": replaces.isoformat(), "name": corrected[replaces]}))
    if taken is not None and first is not None and kind in ENTRY_KINDS:
        problems.append(Message("first", N_("Sudah ada entri %(kind)s mulai %(date)s untuk wilayah yang sama: "
                                            "%(name)s. Ubah entri itu."),
                                {"kind": KIND_LABELS[kind], "date": first.isoformat(), "name": taken}))
    values = {"kind": kind, "first_date": first, "last_date": last, "name": name, "region_kode": region_kode,
              "replaces_date": replaces}
    return values, problems


def _check_region(kind: str, region_kode: str, region: Optional[RegionFact], scope_kode: Optional[str],
                  problems: list[Message]) -> None:
    """Whether the entry's kind, its region and the admin's region fit together."""
    label = KIND_LABELS.get(kind, kind)
    if not region_kode:
        if kind in REGIONAL_ONLY:
            problems.append(Message("region_kode", N_("%(kind)s berlaku per kabupaten/kota; pilih kabupaten/kotanya."),
                                    {"kind": label}))
        elif kind in ENTRY_KINDS and scope_kode is not None:
            problems.append(Message("region_kode", N_("Hari yang berlaku nasional hanya dapat dikelola admin tanpa "
                                                      "batas wilayah; pilih kabupaten/kota Anda."), {}))
        return
    if kind in NATIONAL_ONLY:
        problems.append(Message("region_kode", N_("%(kind)s berlaku nasional; kosongkan kabupaten/kota."),
                                {"kind": label}))
    elif region is None:
        problems.append(Message("region_kode", N_("Kabupaten/kota %(kode)s tidak dikenal."), {"kode": region_kode[:20]}))
    elif region.level != "kabupaten":
        problems.append(Message("region_kode", N_("Kode %(kode)s bukan kabupaten/kota (kode seperti 33.74)."),
                                {"kode": region_kode[:20]}))
    elif scope_kode is not None and not within(region_kode, scope_kode):
        problems.append(Message("region_kode", N_("%(name)s (%(kode)s) di luar wilayah Anda; Anda hanya dapat "
                                                  "mengelola hari di wilayah %(scope)s."),
                                {"name": region.nama, "kode": region_kode, "scope": scope_kode}))


def may_manage(region_kode: str, scope_kode: Optional[str]) -> bool:
    """Whether an admin of region `scope_kode` (None: unscoped) may change an entry of `region_kode`."""
    if scope_kode is None:
        return True
    return bool(region_kode) and within(region_kode, scope_kode)
