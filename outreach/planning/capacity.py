"""Expected turnout of a session, with its reasoning: plain Python, no Flask, no database.

Expected turnout = the lesser of
- capacity: kits × hours × records per kit-hour (setting RECORDS_PER_KIT_HOUR), and
- what the site's pool leaves for it: for a school with a pemilih pemula count, the students not yet
  recorded; otherwise its desa's reachable backlog (the ledger: backlog less known away and refusers);
  in both cases less what the open sessions planned before it on the same pool expect (the planned
  share, outreach.ledger.rules).
A session without recording (kind "sosialisasi") expects no recordings.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time
from typing import Callable, Optional

from babel.numbers import format_decimal

from outreach.i18n import plain_gettext as _plain

RECORDING_KINDS = ("perekaman", "keduanya")


@dataclass(frozen=True)
class Backlog:
    """What a site's pool leaves for one session. `count` None: no official figures yet (capacity only).

    For a desa pool: `backlog` (wajib − estimated sudah rekam), the known away and refusers inside it,
    `reachable`, and `planned`: (session id, expected) of the open sessions planned before this one on
    the same pool; `count` is what they leave. A school pool likewise from its pemilih pemula."""
    count: Optional[int]
    source: str  # "desa" | "sekolah" | "absen" (mop-up) | "rumah" (a home visit's request) | "unknown"
    place: str  # name of the desa or school
    wajib_ktp: Optional[int] = None
    sudah_rekam: Optional[int] = None  # the estimate: official + recorded in the field since
    known_away: int = 0  # known away inside the backlog
    pemilih_pemula: Optional[int] = None
    pemilih_pemula_recorded: Optional[int] = None
    menolak: int = 0  # refusers inside the backlog
    backlog: Optional[int] = None
    reachable: Optional[int] = None
    planned: tuple = ()  # ((session id, expected), ...) drawn from the pool before this session

    @property
    def planned_total(self) -> int:
        return sum(n for _, n in self.planned)


@dataclass(frozen=True)
class TurnoutEstimate:
    expected: int
    capacity: int
    backlog: Optional[int]
    limited_by: str  # "capacity" | "backlog" | "no_recording"
    reasoning: str


def desa_pool(place: str, wajib_ktp: Optional[int], sudah_rekam_estimated: Optional[int], known_away_in: int = 0,
              menolak_in: int = 0, planned: tuple = ()) -> Backlog:
    """A desa's pool from its ledger terms, less what open sessions planned before this one expect."""
    if wajib_ktp is None:
        return Backlog(None, "unknown", place, known_away=known_away_in, menolak=menolak_in, planned=tuple(planned))
    backlog = wajib_ktp - (sudah_rekam_estimated or 0)
    reachable = backlog - known_away_in - menolak_in
    count = max(reachable - sum(n for _, n in planned), 0)
    return Backlog(count, "desa", place, wajib_ktp=wajib_ktp, sudah_rekam=sudah_rekam_estimated or 0,
                   known_away=known_away_in, menolak=menolak_in, backlog=backlog, reachable=reachable,
                   planned=tuple(planned))


def desa_backlog(place: str, wajib_ktp: Optional[int], sudah_rekam: Optional[int], known_away: int = 0,
                 menolak: int = 0, planned: tuple = ()) -> Backlog:
    """A desa's pool from its raw figures (sudah rekam, known away and refusers in all): the ledger's rules."""
    if wajib_ktp is None:
        return desa_pool(place, None, None, planned=planned)
    from outreach.ledger.rules import DesaTerms

    terms = DesaTerms(wajib_ktp=wajib_ktp, official=sudah_rekam or 0, known_away=known_away or 0,
                      menolak=menolak or 0)
    return desa_pool(place, wajib_ktp, terms.sudah_rekam_estimated, terms.known_away_in_backlog,
                     terms.menolak_in_backlog, planned)


def school_backlog(place: str, pemilih_pemula: int, recorded: Optional[int], planned: tuple = ()) -> Backlog:
    """Pemilih pemula of a school not recorded yet, less what sessions planned before this one expect."""
    still = max(pemilih_pemula - (recorded or 0), 0)
    return Backlog(max(still - sum(n for _, n in planned), 0), "sekolah", place, pemilih_pemula=pemilih_pemula,
                   pemilih_pemula_recorded=recorded or 0, reachable=still, planned=tuple(planned))


def absentee_backlog(place: str, absentees: int, pool: Optional[Backlog] = None) -> Backlog:
    """A mop-up session's backlog: the people the earlier session at the site missed (never more than its
    pool leaves, when known)."""
    count = max(absentees, 0)
    if pool is not None and pool.count is not None:
        count = min(count, pool.count)
    return Backlog(count, "absen", place)


def home_backlog(place: str, people: int, pool: Optional[Backlog] = None) -> Backlog:
    """A home visit's backlog: the people its visit request names (never more than its desa's pool leaves,
    when known)."""
    count = max(people, 0)
    if pool is not None and pool.count is not None:
        count = min(count, pool.count)
    return Backlog(count, "rumah", place)


def site_backlog(*, site_type: str, site_name: str, pemilih_pemula: Optional[int],
                 pemilih_pemula_recorded: Optional[int], desa_name: str, wajib_ktp: Optional[int],
                 sudah_rekam: Optional[int], known_away: int, menolak: int = 0, planned: tuple = ()) -> Backlog:
    """The backlog a site serves: a school's pemilih pemula when counted, else its desa's."""
    if site_type == "sekolah" and pemilih_pemula is not None:
        return school_backlog(site_name, pemilih_pemula, pemilih_pemula_recorded, planned)
    return desa_backlog(desa_name, wajib_ktp, sudah_rekam, known_away, menolak, planned)


def session_hours(start: time, end: time, days: int = 1) -> float:
    """Working hours of a session: (end − start) on each of its days."""
    per_day = (datetime.combine(datetime.min, end) - datetime.combine(datetime.min, start)).total_seconds() / 3600
    return max(per_day, 0.0) * max(days, 1)


def capacity_of(kind: str, kits: int, hours: float, records_per_kit_hour: float) -> int:
    """What a session's kits can record in its hours (0 for a session without recording)."""
    if kind not in RECORDING_KINDS:
        return 0
    return math.floor(kits * hours * records_per_kit_hour)


def _n(value, locale: str) -> str:
    return format_decimal(value, format="#,##0.#", locale=locale)


def expected_turnout(*, kind: str, kits: int, hours: float, records_per_kit_hour: float, backlog: Backlog,
                     locale: str = "id", _: Callable[..., str] = _plain) -> TurnoutEstimate:
    """The lesser of capacity and reachable backlog, with the sums spelled out in `reasoning`."""
    if kind not in RECORDING_KINDS:
        return TurnoutEstimate(0, 0, backlog.count, "no_recording",
                               _("Sesi sosialisasi saja: tidak ada perekaman, jadi tidak ada perkiraan jumlah "
                                 "perekaman."))
    capacity = capacity_of(kind, kits, hours, records_per_kit_hour)
    cap_text = _("Kapasitas: %(kits)s alat × %(hours)s jam × %(rate)s orang per alat per jam = %(capacity)s.",
                 kits=_n(kits, locale), hours=_n(hours, locale), rate=_n(records_per_kit_hour, locale),
                 capacity=_n(capacity, locale))
    if backlog.source == "sekolah":
        back_text = _("Pemilih pemula %(place)s yang belum rekam: %(total)s − %(done)s sudah rekam = %(count)s.",
                      place=backlog.place, total=_n(backlog.pemilih_pemula, locale),
                      done=_n(backlog.pemilih_pemula_recorded, locale), count=_n(backlog.reachable, locale))
    elif backlog.source == "rumah":
        back_text = _("Kunjungan rumah: %(count)s orang sesuai permohonan.", count=_n(backlog.count, locale))
    elif backlog.source == "absen":
        back_text = _("Warga yang belum hadir pada sesi sebelumnya di %(place)s: %(count)s.", place=backlog.place,
                      count=_n(backlog.count, locale))
    elif backlog.source == "desa":
        back_text = _("Belum rekam di %(place)s: %(wajib)s wajib KTP − %(done)s sudah rekam = %(backlog)s.",
                      place=backlog.place, wajib=_n(backlog.wajib_ktp, locale), done=_n(backlog.sudah_rekam, locale),
                      backlog=_n(backlog.backlog, locale))
        if backlog.known_away or backlog.menolak:
            back_text += " " + _("Dapat dijangkau: %(backlog)s − %(away)s diketahui berada di luar daerah − "
                                 "%(menolak)s menolak = %(reachable)s.", backlog=_n(backlog.backlog, locale),
                                 away=_n(backlog.known_away, locale), menolak=_n(backlog.menolak, locale),
                                 reachable=_n(backlog.reachable, locale))
    else:
        back_text = _("Data SIAK untuk %(place)s belum ada, jadi perkiraan hanya memakai kapasitas.",
                      place=backlog.place)
    if backlog.planned and backlog.source in ("desa", "sekolah"):
        sessions = ", ".join(_("sesi #%(id)s (%(n)s)", id=sid, n=_n(n, locale)) for sid, n in backlog.planned)
        back_text += " " + _("Sudah direncanakan untuk %(sessions)s; belum direncanakan: %(count)s.",
                             sessions=sessions, count=_n(backlog.count, locale))
    if backlog.count is not None and backlog.count < capacity:
        expected, limited_by = backlog.count, "backlog"
        if backlog.planned:
            verdict = _("Perkiraan: %(expected)s orang (dibatasi sisa yang belum direncanakan).",
                        expected=_n(expected, locale))
        else:
            verdict = _("Perkiraan: %(expected)s orang (dibatasi sisa yang belum rekam).",
                        expected=_n(expected, locale))
    else:
        expected, limited_by = capacity, "capacity"
        verdict = _("Perkiraan: %(expected)s orang (dibatasi kapasitas alat).", expected=_n(expected, locale))
    return TurnoutEstimate(expected, capacity, backlog.count, limited_by, " ".join((cap_text, back_text, verdict)))
