"""Scheduling rules for recording sessions: plain Python, no Flask, no database.

outreach.planning.checks loads the candidates (sessions of the same team, kits or site in a date window, the
kits' status, the holidays of the days concerned) and calls the functions here:

- `refusals(...)`: problems with the request itself that no reason can override (a site outside
  the coordinator's kecamatan, a team of another kabupaten/kota, an unknown or broken kit).
  They come back as {field: message}, answered as 422.
- `find_conflicts(...)`: clashes with other sessions and the calendar, each a `Conflict` whose
  `severity` is ERROR (refused: the team or a kit would be in two places at once) or WARNING
  (may be overridden with a reason: too little travel time between two sessions, a kit in
  service, another session at the same site that day, a session shorter or longer than the
  settings allow, and the calendar's warnings below).
- `calendar_conflicts(...)`: the calendar's warnings for a session at a `Place` (what the planning
  calendar says about one site: see outreach.planning.calendar_rules): a public holiday, cuti
  bersama, a regional holiday, an election day, a school's exam week, a day the site is unavailable,
  or a weekend. `blocked_days(...)` gives the days those rules close at a place, for the planner,
  mop-up proposals and the demo, so that every path follows the same rules.

Every message is in Bahasa Indonesia (the msgid; pass Flask-Babel's `gettext` as `_` to translate)
and names the other session by site, date and time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable, Mapping, Optional, Sequence

from babel.dates import format_date

from outreach.i18n import plain_gettext as _plain
from outreach.planning import calendar_rules as cal

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
CUTI_BERSAMA = "cuti_bersama"
REGIONAL_HOLIDAY = "regional_holiday"
ELECTION_DAY = "election_day"
EXAM_WEEK = "exam_week"
SITE_UNAVAILABLE = "site_unavailable"
SESSION_TOO_SHORT = "session_too_short"
SESSION_TOO_LONG = "session_too_long"
KINDS = (TEAM_OVERLAP, KIT_OVERLAP, TEAM_TRAVEL, KIT_TRAVEL, KIT_IN_SERVICE, SITE_SAME_DAY, HOLIDAY, WEEKEND,
         CUTI_BERSAMA, REGIONAL_HOLIDAY, ELECTION_DAY, EXAM_WEEK, SITE_UNAVAILABLE, SESSION_TOO_SHORT,
         SESSION_TOO_LONG)
# The conflict kind each kind of day off gives.
DAY_OFF_KINDS = {cal.NATIONAL_HOLIDAY: HOLIDAY, cal.CUTI_BERSAMA: CUTI_BERSAMA, cal.REGIONAL_HOLIDAY: REGIONAL_HOLIDAY,
                 cal.ELECTION_DAY: ELECTION_DAY, cal.EXAM_WEEK: EXAM_WEEK}

BROKEN_KIT_STATUS = "rusak"
SERVICE_KIT_STATUS = "servis"


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


@dataclass(frozen=True)
class Place:
    """What the planning calendar says about one site: the days off that apply there (see
    calendar_rules.for_place) and the days the site itself cannot host a session."""
    site_name: str = ""
    days_off: Mapping[date, Sequence[cal.DayOff]] = field(default_factory=dict)
    unavailable: frozenset = frozenset()

    @classmethod
    def from_holidays(cls, holidays: Mapping[date, str], site_name: str = "") -> "Place":
        """A place whose only days off are national public holidays ({day: name})."""
        return cls(site_name, {d: (cal.DayOff(cal.NATIONAL_HOLIDAY, n),) for d, n in holidays.items()})


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


def team_word(name: Optional[str]) -> str:
    """A team's name for messages that already say "Tim %(team)s": "Tim Keliling 1" gives "Keliling 1", so
    the message does not read "Tim Tim Keliling 1"."""
    name = (name or "").strip()
    head, _sep, rest = name.partition(" ")
    return rest.strip() if head.lower() in ("tim", "team") and rest.strip() else name


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
        errors["team_id"] = _("Tim %(team)s sudah tidak aktif.", team=team_word(team["nama"]))
    elif team["office_kode"] != site_kabupaten:
        errors["team_id"] = _("Tim %(team)s bukan tim kabupaten/kota lokasi ini, jadi tidak dapat "
                              "ditugaskan ke sana.", team=team_word(team["nama"]))
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
                   travel_buffer: timedelta, holidays: Optional[Mapping[date, str]] = None,
                   place: Optional[Place] = None, session_hours: Optional[tuple[float, float]] = None,
                   locale: str = "id", _: Translate = _plain) -> Verdict:
    """Every clash of `proposal` with the `bookings` (the candidates loaded for its window) and the calendar.

    `place`: what the planning calendar says about the site (without it: only the national public
    `holidays`, {day: name}); `session_hours`: (SESSION_MIN_HOURS, SESSION_MAX_HOURS), None: unchecked."""
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
                    team=team_word(other.team_name), site=other.site_name, when=when, id=other.id), other.id))
            else:
                add(Conflict(TEAM_TRAVEL, WARNING, _(
                    "Tim %(team)s punya sesi lain di %(site)s, %(when)s (sesi #%(id)s); jeda kurang dari "
                    "%(minutes)s menit untuk perjalanan.", team=team_word(other.team_name), site=other.site_name,
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
    verdict.conflicts.extend(length_conflicts(proposal.slot, session_hours, _))
    if place is None:
        place = Place.from_holidays(holidays or {})
    verdict.conflicts.extend(calendar_conflicts(proposal.slot, place, locale=locale, _=_))
    return verdict


def _hours(value: float) -> str:
    """'1', '1,5', '0,75': hours as Indonesian writes them."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def length_conflicts(slot: Slot, session_hours: Optional[tuple[float, float]], _: Translate = _plain) -> list[Conflict]:
    """A warning when the session's daily hours fall outside (SESSION_MIN_HOURS, SESSION_MAX_HOURS)."""
    if session_hours is None:
        return []
    low, high = session_hours
    length = (datetime.combine(slot.date, slot.end) - datetime.combine(slot.date, slot.start)).total_seconds() / 3600
    if length <= 0:  # times out of order: refused as bad input before this
        return []
    if length < low:
        return [Conflict(SESSION_TOO_SHORT, WARNING, _(
            "Sesi berlangsung %(hours)s jam, kurang dari lama minimal %(min)s jam (pengaturan SESSION_MIN_HOURS).",
            hours=_hours(length), min=_hours(low)))]
    if length > high:
        return [Conflict(SESSION_TOO_LONG, WARNING, _(
            "Sesi berlangsung %(hours)s jam, lebih dari lama maksimal %(max)s jam (pengaturan SESSION_MAX_HOURS).",
            hours=_hours(length), max=_hours(high)))]
    return []


def _day_off_message(day: date, off: cal.DayOff, locale: str, _: Translate) -> str:
    """The warning's text for one day off, by its kind."""
    when = format_day(day, locale)
    region = off.region_name or off.region_kode
    if off.kind == cal.CUTI_BERSAMA:
        return _("%(day)s adalah cuti bersama (%(name)s).", day=when, name=off.name)
    if off.kind == cal.REGIONAL_HOLIDAY:
        return _("%(day)s adalah hari libur daerah di %(region)s (%(name)s).", day=when, region=region, name=off.name)
    if off.kind == cal.ELECTION_DAY:
        if off.region_kode:
            return _("%(day)s adalah hari pemungutan suara di %(region)s (%(name)s).", day=when, region=region,
                     name=off.name)
        return _("%(day)s adalah hari pemungutan suara (%(name)s).", day=when, name=off.name)
    if off.kind == cal.EXAM_WEEK:
        return _("%(day)s termasuk masa ujian sekolah di %(region)s (%(name)s); sekolah sedang ujian.", day=when,
                 region=region, name=off.name)
    return _("%(day)s adalah hari libur nasional (%(name)s).", day=when, name=off.name)


def calendar_conflicts(slot: Slot, place: Place, *, locale: str = "id", _: Translate = _plain) -> list[Conflict]:
    """The calendar's warnings for a session at `place`: each day off on its days (a weekend only when
    no holiday already closes that day), and one warning naming the days the site is unavailable."""
    out = []
    for day in slot.days():
        offs = place.days_off.get(day, ())
        for off in offs:
            out.append(Conflict(DAY_OFF_KINDS.get(off.kind, HOLIDAY), WARNING, _day_off_message(day, off, locale, _),
                                day=day))
        if day.weekday() >= 5 and not any(off.kind != cal.EXAM_WEEK for off in offs):
            out.append(Conflict(WEEKEND, WARNING, _("%(day)s jatuh pada akhir pekan.", day=format_day(day, locale)),
                                day=day))
    unavailable = [d for d in slot.days() if d in place.unavailable]
    if unavailable:
        out.append(Conflict(SITE_UNAVAILABLE, WARNING, _(
            "Lokasi %(site)s tidak tersedia pada %(days)s (tanggal tidak tersedia yang dicatat untuk lokasi ini).",
            site=place.site_name, days=", ".join(format_day(d, locale) for d in unavailable)), day=unavailable[0]))
    return out


def is_closed(day: date, place: Place) -> bool:
    """True when the calendar warns against a session at `place` on `day` for a reason other than the weekend."""
    return bool(place.days_off.get(day)) or day in place.unavailable


def blocked_days(first: date, last: date, place: Place) -> frozenset[date]:
    """The days from `first` to `last` that `is_closed` at `place` (for the planner's blocked dates)."""
    days = set(d for d in place.days_off if first <= d <= last) | set(d for d in place.unavailable if first <= d <= last)
    return frozenset(d for d in days if is_closed(d, place))


def is_open_day(day: date, place: Place) -> bool:
    """A weekday on which the calendar raises no warning at `place` (mop-up proposals, the demo)."""
    return day.weekday() < 5 and not is_closed(day, place)


def _strict_overlap(a: Slot, b: Slot) -> bool:
    """True when some day-interval of `a` and `b` share time (touching end-to-start is not overlap)."""
    return any(a0 < b1 and b0 < a1 for a0, a1 in a.intervals() for b0, b1 in b.intervals())


def is_working_day(d: date, holidays: Mapping[date, str]) -> bool:
    """A weekday not in `holidays` ({day: name}); `is_open_day` applies the whole calendar of a site."""
    return d.weekday() < 5 and d not in holidays
