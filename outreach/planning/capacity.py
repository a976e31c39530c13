"""Expected turnout of a session, with its reasoning: plain Python, no Flask, no database.

Expected turnout = the lesser of
- capacity: kits × hours × records per kit-hour (setting RECORDS_PER_KIT_HOUR), and
- the reachable backlog the site serves: for a school with a pemilih pemula count, the students
  not yet recorded; otherwise its desa's wajib KTP − sudah rekam − residents known to be away.
A session without recording (kind "sosialisasi") expects no recordings.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time
from typing import Callable, Optional

from babel.numbers import format_decimal

RECORDING_KINDS = ("perekaman", "keduanya")


def _plain(message: str, **variables) -> str:
    return message % variables if variables else message


@dataclass(frozen=True)
class Backlog:
    """What a site can still bring in. `count` None: no official figures yet."""
    count: Optional[int]
    source: str  # "desa" | "sekolah" | "absen" (mop-up) | "unknown"
    place: str  # name of the desa or school
    wajib_ktp: Optional[int] = None
    sudah_rekam: Optional[int] = None
    known_away: int = 0
    pemilih_pemula: Optional[int] = None
    pemilih_pemula_recorded: Optional[int] = None


@dataclass(frozen=True)
class TurnoutEstimate:
    expected: int
    capacity: int
    backlog: Optional[int]
    limited_by: str  # "capacity" | "backlog" | "no_recording"
    reasoning: str


def desa_backlog(place: str, wajib_ktp: Optional[int], sudah_rekam: Optional[int], known_away: int = 0) -> Backlog:
    """Reachable backlog of a desa: wajib KTP − sudah rekam − known away, never below zero."""
    if wajib_ktp is None:
        return Backlog(None, "unknown", place, known_away=known_away)
    count = max(wajib_ktp - (sudah_rekam or 0) - (known_away or 0), 0)
    return Backlog(count, "desa", place, wajib_ktp=wajib_ktp, sudah_rekam=sudah_rekam or 0,
                   known_away=known_away or 0)


def school_backlog(place: str, pemilih_pemula: int, recorded: Optional[int]) -> Backlog:
    """Pemilih pemula of a school not recorded yet."""
    return Backlog(max(pemilih_pemula - (recorded or 0), 0), "sekolah", place,
                   pemilih_pemula=pemilih_pemula, pemilih_pemula_recorded=recorded or 0)


def absentee_backlog(place: str, absentees: int) -> Backlog:
    """A mop-up session's backlog: the people the earlier session at the site missed."""
    return Backlog(max(absentees, 0), "absen", place)


def site_backlog(*, site_type: str, site_name: str, pemilih_pemula: Optional[int],
                 pemilih_pemula_recorded: Optional[int], desa_name: str, wajib_ktp: Optional[int],
                 sudah_rekam: Optional[int], known_away: int) -> Backlog:
    """The backlog a site serves: a school's pemilih pemula when counted, else its desa's."""
    if site_type == "sekolah" and pemilih_pemula is not None:
        return school_backlog(site_name, pemilih_pemula, pemilih_pemula_recorded)
    return desa_backlog(desa_name, wajib_ktp, sudah_rekam, known_away)


def session_hours(start: time, end: time, days: int = 1) -> float:
    """Working hours of a session: (end − start) on each of its days."""
    per_day = (datetime.combine(datetime.min, end) - datetime.combine(datetime.min, start)).total_seconds() / 3600
    return max(per_day, 0.0) * max(days, 1)


def _n(value, locale: str) -> str:
    return format_decimal(value, format="#,##0.#", locale=locale)


def expected_turnout(*, kind: str, kits: int, hours: float, records_per_kit_hour: float, backlog: Backlog,
                     locale: str = "id", _: Callable[..., str] = _plain) -> TurnoutEstimate:
    """The lesser of capacity and reachable backlog, with the sums spelled out in `reasoning`."""
    if kind not in RECORDING_KINDS:
        return TurnoutEstimate(0, 0, backlog.count, "no_recording",
                               _("Sesi sosialisasi saja: tidak ada perekaman, jadi tidak ada perkiraan jumlah "
                                 "perekaman."))
    capacity = math.floor(kits * hours * records_per_kit_hour)
    cap_text = _("Kapasitas: %(kits)s alat × %(hours)s jam × %(rate)s orang per alat per jam = %(capacity)s.",
                 kits=_n(kits, locale), hours=_n(hours, locale), rate=_n(records_per_kit_hour, locale),
                 capacity=_n(capacity, locale))
    if backlog.source == "sekolah":
        back_text = _("Pemilih pemula %(place)s yang belum rekam: %(total)s − %(done)s sudah rekam = %(count)s.",
                      place=backlog.place, total=_n(backlog.pemilih_pemula, locale),
                      done=_n(backlog.pemilih_pemula_recorded, locale), count=_n(backlog.count, locale))
    elif backlog.source == "absen":
        back_text = _("Warga yang belum hadir pada sesi sebelumnya di %(place)s: %(count)s.", place=backlog.place,
                      count=_n(backlog.count, locale))
    elif backlog.source == "desa":
        if backlog.known_away:
            back_text = _("Sisa yang dapat dijangkau di %(place)s: %(wajib)s wajib KTP − %(done)s sudah rekam − "
                          "%(away)s diketahui berada di luar daerah = %(count)s.", place=backlog.place,
                          wajib=_n(backlog.wajib_ktp, locale), done=_n(backlog.sudah_rekam, locale),
                          away=_n(backlog.known_away, locale), count=_n(backlog.count, locale))
        else:
            back_text = _("Sisa yang dapat dijangkau di %(place)s: %(wajib)s wajib KTP − %(done)s sudah rekam = "
                          "%(count)s.", place=backlog.place, wajib=_n(backlog.wajib_ktp, locale),
                          done=_n(backlog.sudah_rekam, locale), count=_n(backlog.count, locale))
    else:
        back_text = _("Data SIAK untuk %(place)s belum ada, jadi perkiraan hanya memakai kapasitas.",
                      place=backlog.place)
    if backlog.count is not None and backlog.count < capacity:
        expected, limited_by = backlog.count, "backlog"
        verdict = _("Perkiraan: %(expected)s orang (dibatasi sisa yang belum rekam).", expected=_n(expected, locale))
    else:
        expected, limited_by = capacity, "capacity"
        verdict = _("Perkiraan: %(expected)s orang (dibatasi kapasitas alat).", expected=_n(expected, locale))
    return TurnoutEstimate(expected, capacity, backlog.count, limited_by, " ".join((cap_text, back_text, verdict)))
