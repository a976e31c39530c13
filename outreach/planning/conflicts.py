"""Scheduling rules for recording sessions: plain Python, no Flask, no database.

The service loads the candidates (sessions of the same team, kits or site in a date window, the
kits' status, the holidays of the days concerned) and calls the functions here:

- `refusals(...)`: problems with the request itself that no reason can override (a site outside
  the coordinator's kecamatan, a team of another kabupaten/kota, an unknown or broken kit).
  They come back as {field: message}, answered as 422.
- `find_conflicts(...)`: clashes with other sessions and the calendar, each a `Conflict` whose
  `severity` is ERROR (refused: the team or a kit would be in two places at once) or WARNING
  (may be overridden with a reason: too little travel time between two sessions, a kit in
  service, another session at the same site that day, a public holiday or a weekend).

Every message is in Bahasa Indonesia (the msgid; pass Flask-Babel's `gettext` as `_` to translate)
and names the other session by site, date and time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable, Mapping, Optional, Sequence

from babel.dates import format_date

ERROR = "error"
WARNING = "warning"

# Conflict kinds (the API's "kind"): stable identifiers, English.
TEAM_OVERLAP = "team_overlap"
KIT_OVERLAP = "kit_overlap"
TEAM_TRAVEL = "team_travel_time"
KIT_TRAVEL = "kit_travel_time"
KIT_IN_SERVICE = "kit_in_service"
SITE_SAME_DAY = "site_same_day"
HOLIDAY = "holiday"
WEEKEND = "weekend"

BROKEN_KIT_STATUS = "rusak"
SERVICE_KIT_STATUS = "servis"


def _plain(message: str, **variables) -> str:
    """Stand-in for gettext when no translator is given: the Indonesian msgid itself."""
    return message % variables if variables else message


Translate = Callable[..., str]


@dataclass(frozen=True)
class Slot:
    """When a session takes place: `start`–`end` on every day from `date` to `end_date`."""
    date: date
    start: time
    end: time
    end_date: Optional[date] = None

    @property
    def last_date(self) -> date:
        return self.end_date or self.date

    def days(self) -> list[date]:
        return [self.date + timedelta(days=i) for i in range((self.last_date - self.date).days + 1)]

    def intervals(self) -> list[tuple[datetime, datetime]]:
        return [(datetime.combine(d, self.start), datetime.combine(d, self.end)) for d in self.days()]


@dataclass(frozen=True)
class Booking:
    """An existing session that holds a team, kits and a site (cancelled sessions are not bookings)."""
    id: int
    slot: Slot
    site_id: int
    site_name: str
    team_id: int
    team_name: str
    kit_ids: frozenset = frozenset()


@dataclass(frozen=True)
class KitInfo:
    id: int
    code: str
    status: str = "ok"
    office_kode: str = ""


@dataclass(frozen=True)
class Proposal:
    """The session being planned (or changed: `session_id` set, so it never clashes with itself)."""
    slot: Slot
    site_id: int
    team_id: int
    kit_ids: frozenset = frozenset()
    team_name: str = ""
    session_id: Optional[int] = None


@dataclass(frozen=True)
class Conflict:
    kind: str
    severity: str
    message: str
    session_id: Optional[int] = None
    day: Optional[date] = None

    @property
    def overridable(self) -> bool:
        return self.severity == WARNING

    def as_dict(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "overridable": self.overridable,
                "message": self.message, "session_id": self.session_id}


@dataclass
class Verdict:
    """Outcome of a check: may it be saved as asked?"""
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def errors(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.severity == ERROR]

    @property
    def warnings(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.severity == WARNING]

    def allows(self, override_reason: Optional[str]) -> bool:
        """Errors always block; warnings block unless a non-blank reason is given."""
        if self.errors:
            return False
        return not self.warnings or bool((override_reason or "").strip())


# ---------------------------------------------------------------- formatting

def format_day(d: date, locale: str = "id") -> str:
    """'Senin, 4 Mei 2026'."""
    return format_date(d, "EEEE, d MMMM y", locale=locale)


def format_hhmm(t: time) -> str:
    """'08.00' (Indonesian writes times with a dot)."""
    return f"{t.hour:02d}.{t.minute:02d}"


def describe_slot(slot: Slot, locale: str = "id", _: Translate = _plain) -> str:
    """'Senin, 4 Mei 2026 pukul 08.00–12.00' (or a day range for a multi-day session)."""
    hours = f"{format_hhmm(slot.start)}–{format_hhmm(slot.end)}"
    if slot.end_date and slot.end_date != slot.date:
        return _("%(first)s s.d. %(last)s pukul %(hours)s", first=format_day(slot.date, locale),
                 last=format_day(slot.end_date, locale), hours=hours)
    return _("%(day)s pukul %(hours)s", day=format_day(slot.date, locale), hours=hours)


# ---------------------------------------------------------------- time arithmetic

def gap(a: Slot, b: Slot) -> timedelta:
    """Smallest time between any day-interval of `a` and of `b`; zero or negative when they touch or overlap."""
    return min(max(b0 - a1, a0 - b1) for a0, a1 in a.intervals() for b0, b1 in b.intervals())


def window(slot: Slot, max_days: int) -> tuple[date, date]:
    """Date range of `date` values whose sessions can come near `slot` (for the index range scan):
    a session of up to `max_days` days starting then, with a travel buffer below one day."""
    return slot.date - timedelta(days=max_days), slot.last_date + timedelta(days=1)


# ---------------------------------------------------------------- the rules

def refusals(*, site_kode: str, site_name: str, site_active: bool, site_kabupaten: str,
             scope_kode: Optional[str], team: Optional[Mapping], kits: Sequence[KitInfo],
             missing_kit_ids: Iterable[int] = (), _: Translate = _plain) -> dict[str, str]:
    """Hard refusals of a request, as {field: message}; empty when the request may be checked further.

    `scope_kode` is the planner's region (a coordinator's kecamatan; None for an unscoped admin).
    `team` is {"nama", "office_kode", "active"} or None when it does not exist.
    """
    errors: dict[str, str] = {}
    if scope_kode is not None and not (site_kode == scope_kode or site_kode.startswith(scope_kode + ".")):
        errors["site_id"] = _("Lokasi %(site)s berada di luar kecamatan Anda; sesi hanya dapat "
                              "direncanakan di wilayah Anda sendiri.", site=site_name)
    elif not site_active:
        errors["site_id"] = _("Lokasi %(site)s sudah tidak aktif.", site=site_name)
    if team is None:
        errors["team_id"] = _("Tim tidak ditemukan.")
    elif not team.get("active", True):
        errors["team_id"] = _("Tim %(team)s sudah tidak aktif.", team=team["nama"])
    elif team["office_kode"] != site_kabupaten:
        errors["team_id"] = _("Tim %(team)s bukan tim kabupaten/kota lokasi ini, jadi tidak dapat "
                              "ditugaskan ke sana.", team=team["nama"])
    problems = []
    missing = sorted(set(missing_kit_ids))
    if missing:
        problems.append(_("Alat dengan nomor %(ids)s tidak ditemukan.", ids=", ".join(str(i) for i in missing)))
    for kit in kits:
        if kit.status == BROKEN_KIT_STATUS:
            problems.append(_("Alat %(kit)s rusak dan tidak dapat dijadwalkan.", kit=kit.code))
        elif kit.office_kode and kit.office_kode != site_kabupaten:
            problems.append(_("Alat %(kit)s milik kantor kabupaten/kota lain.", kit=kit.code))
    if problems:
        errors["kit_ids"] = " ".join(problems)
    return errors


def find_conflicts(proposal: Proposal, bookings: Iterable[Booking], kits: Mapping[int, KitInfo], *,
                   travel_buffer: timedelta, holidays: Mapping[date, str], locale: str = "id",
                   _: Translate = _plain) -> Verdict:
    """Every clash of `proposal` with the `bookings` (the candidates loaded for its window) and the calendar."""
    verdict = Verdict()
    add = verdict.conflicts.append
    own_days = set(proposal.slot.days())
    for other in sorted(bookings, key=lambda b: (b.slot.date, b.slot.start, b.id)):
        if other.id == proposal.session_id:
            continue
        same_site_day = other.site_id == proposal.site_id and bool(own_days & set(other.slot.days()))
        shares = other.team_id == proposal.team_id or bool(proposal.kit_ids & other.kit_ids)
        if not (shares or same_site_day):
            continue
        overlap = _strict_overlap(proposal.slot, other.slot)
        near = not overlap and gap(proposal.slot, other.slot) < travel_buffer
        if not (overlap or near or same_site_day):
            continue
        when = describe_slot(other.slot, locale, _)
        if other.team_id == proposal.team_id and (overlap or near):
            if overlap:
                add(Conflict(TEAM_OVERLAP, ERROR, _(
                    "Tim %(team)s sudah bertugas pada waktu yang sama di %(site)s, %(when)s (sesi #%(id)s).",
                    team=other.team_name, site=other.site_name, when=when, id=other.id), other.id))
            else:
                add(Conflict(TEAM_TRAVEL, WARNING, _(
                    "Tim %(team)s punya sesi lain di %(site)s, %(when)s (sesi #%(id)s); jeda kurang dari "
                    "%(minutes)s menit untuk perjalanan.", team=other.team_name, site=other.site_name,
                    when=when, id=other.id, minutes=int(travel_buffer.total_seconds() // 60)), other.id))
        for kit_id in sorted(proposal.kit_ids & other.kit_ids):
            code = kits[kit_id].code if kit_id in kits else f"#{kit_id}"
            if overlap:
                add(Conflict(KIT_OVERLAP, ERROR, _(
                    "Alat %(kit)s sudah dipakai pada waktu yang sama di %(site)s, %(when)s (sesi #%(id)s).",
                    kit=code, site=other.site_name, when=when, id=other.id), other.id))
            elif near:
                add(Conflict(KIT_TRAVEL, WARNING, _(
                    "Alat %(kit)s dipakai di %(site)s, %(when)s (sesi #%(id)s); jeda kurang dari %(minutes)s "
                    "menit untuk memindahkannya.", kit=code, site=other.site_name, when=when, id=other.id,
                    minutes=int(travel_buffer.total_seconds() // 60)), other.id))
        if same_site_day:
            add(Conflict(SITE_SAME_DAY, WARNING, _(
                "Di %(site)s sudah ada sesi lain pada hari yang sama: %(when)s (sesi #%(id)s).",
                site=other.site_name, when=when, id=other.id), other.id))
    for kit_id in sorted(proposal.kit_ids):
        kit = kits.get(kit_id)
        if kit is not None and kit.status == SERVICE_KIT_STATUS:
            add(Conflict(KIT_IN_SERVICE, WARNING, _(
                "Alat %(kit)s sedang diservis; pastikan alat sudah kembali sebelum sesi.", kit=kit.code)))
    for day in proposal.slot.days():
        if day in holidays:
            add(Conflict(HOLIDAY, WARNING, _(
                "%(day)s adalah hari libur nasional (%(name)s).", day=format_day(day, locale),
                name=holidays[day]), day=day))
        elif day.weekday() >= 5:
            add(Conflict(WEEKEND, WARNING, _(
                "%(day)s jatuh pada akhir pekan.", day=format_day(day, locale)), day=day))
    return verdict


def _strict_overlap(a: Slot, b: Slot) -> bool:
    """True when some day-interval of `a` and `b` share time (touching end-to-start is not overlap)."""
    return any(a0 < b1 and b0 < a1 for a0, a1 in a.intervals() for b0, b1 in b.intervals())


def is_working_day(d: date, holidays: Mapping[date, str]) -> bool:
    return d.weekday() < 5 and d not in holidays
