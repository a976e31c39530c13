"""The public schedule of an area (kabupaten/kota, kecamatan, desa/kelurahan, or the province): the sessions
residents may come to in the next weeks, with no personal data, and its iCalendar feed.

Only what a poster on the balai desa would say leaves this module: the place (a site's name and desa; a home
visit is "Kunjungan rumah" with neither name nor address nor RT/RW nor position), the days and hours, who
should come, what to bring, and whether the date is confirmed. Never a team, a contact, a phone, a note, an
expected turnout or a cancel reason.

Listed: sessions whose days reach today (WIB) and that start within PUBLIC_SCHEDULE_DAYS, in a status that
will still happen: rencana, terkonfirmasi, and ditunda (a postponed session already sits on its new date:
outreach.planning.workflow). Reads are in `load_area` / `load_schedule`, shaping in `shape` (pure), the
feed in `feed_bytes` (reuses outreach.planning.ical). `schedule_for` remembers a shaped schedule per area
and day in the process while the sessions and sites of the area are unchanged.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa

from outreach.cache import ProcessCache
from outreach.extensions import db
from outreach.i18n import N_, gettext_here
from outreach.models import Region, Site
from outreach.models.planning import RecordingSession
from outreach.models.regions import level_of
from outreach.planning import ical
from outreach.vocab import level_labels, region_label, target_group_labels

# Sessions residents can still come to (a postponed one is already on its new date).
PUBLIC_STATUSES = ("rencana", "terkonfirmasi", "ditunda")
LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")
KODE_MAX_CHARS = 20  # Region.kode's size
DEFAULT_DAYS = 60
DEFAULT_MAX_ROWS = 300
RECORDING_KINDS = ("perekaman", "keduanya")
HOME = "rumah"

# Who should come, per target group (the group's label comes from outreach.vocab).
GROUP_HINTS = {
    "pemilih_pemula": N_("remaja yang sudah berusia 17 tahun atau akan genap 17 tahun pada hari pemungutan suara "
                         "dan belum rekam E-KTP"),
    "umum": N_("warga wajib KTP (17 tahun ke atas, atau sudah/pernah menikah) yang belum rekam E-KTP"),
    "lansia_disabilitas": N_("yang dapat datang dilayani di sini; yang tidak dapat datang dapat mengajukan "
                             "kunjungan rumah"),
}
BRING_RECORDING = (N_("Kartu Keluarga (KK) asli atau fotokopi"),)
BRING_PEMILIH_PEMULA = N_("Pemilih pemula: kartu pelajar atau surat keterangan sekolah")
BRING_MARRIED = N_("Belum 17 tahun tetapi sudah menikah: buku nikah/akta perkawinan")
NOTHING_TO_BRING = N_("Sosialisasi: belum ada perekaman, tidak perlu membawa dokumen.")
HOME_VISIT_PLACE = N_("Kunjungan rumah (terjadwal)")
HOME_VISIT_WHO = N_("Petugas mendatangi rumah warga yang sudah terdaftar; bukan layanan untuk umum.")


@dataclass(frozen=True)
class Area:
    kode: str
    nama: str
    kind: str
    level: str
    crumbs: tuple = ()    # ((kode, label), ...) from the province down, the area itself excluded
    children: tuple = ()  # ((kode, label), ...) one level down (none below a desa)

    @property
    def label(self) -> str:
        return region_label(self.nama, self.kind)

    def title(self, _=gettext_here) -> str:
        """'Kecamatan Tembalang', 'Kota Semarang', 'Kelurahan Meteseh', 'Provinsi Jawa Tengah'."""
        if self.level in ("kecamatan", "provinsi"):
            prefix = level_labels(_)[self.level]
            return self.nama if self.nama.lower().startswith(prefix.lower()) else f"{prefix} {self.nama}"
        return self.label


@dataclass(frozen=True)
class PublicSession:
    """One session as the public may see it."""
    id: int
    date: date
    end_date: Optional[date]
    start: time
    end: time
    kind: str
    status: str
    confirmed: bool
    home_visit: bool
    place: str            # the site's name; "" for a home visit
    desa_kode: str
    desa: str             # "Kelurahan Satu A"
    kecamatan: str
    groups: tuple = ()    # target group keys ("" for a home visit: nobody is invited)
    previous_date: Optional[date] = None  # a postponed session's date before its last move
    version: int = 0
    updated_at: Optional[datetime] = None
    lat: Optional[float] = None
    lng: Optional[float] = None


@dataclass(frozen=True)
class Schedule:
    area: Area
    today: date
    last: date
    sessions: tuple = ()
    truncated: bool = False
    days: tuple = field(default=())  # ((day, (PublicSession, ...)), ...) by the day each is listed under

    def etag(self, *extra: str) -> str:
        """A validator that changes with anything the page or feed shows (and with `extra`: locale, format)."""
        payload = json.dumps([asdict(self.area), self.today.isoformat(), self.truncated,
                              [asdict(s) for s in self.sessions], list(extra)], default=str, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:32]


# ---------------------------------------------------------------- reads

def valid_kode(kode: str) -> bool:
    """A Kemendagri code of a level the schedule is shown for (shape only)."""
    return bool(kode) and len(kode) <= KODE_MAX_CHARS and level_of(kode) in LEVELS


def load_area(kode: str) -> Optional[Area]:
    """The area of `kode` with its breadcrumb and children, or None when the code is unknown or malformed."""
    if not valid_kode(kode):
        return None
    region = db.session.get(Region, kode)
    if region is None or region.level not in LEVELS:
        return None
    parts = kode.split(".")
    prefixes = [".".join(parts[:i]) for i in range(1, len(parts))]
    rows = db.session.execute(sa.select(Region.kode, Region.nama, Region.kind)
                              .where(Region.kode.in_(prefixes)).order_by(Region.kode)).all() if prefixes else []
    children = db.session.execute(sa.select(Region.kode, Region.nama, Region.kind)
                                  .where(Region.parent_kode == kode).order_by(Region.kode)).all()
    return Area(kode=region.kode, nama=region.nama, kind=region.kind, level=region.level,
                crumbs=tuple((k, region_label(n, kind)) for k, n, kind in rows),
                children=tuple((k, region_label(n, kind)) for k, n, kind in children))


def _area_condition(area: Area):
    column = {"provinsi": RecordingSession.provinsi_kode, "kabupaten": RecordingSession.kabupaten_kode,
              "kecamatan": RecordingSession.kecamatan_kode, "desa": RecordingSession.desa_kode}[area.level]
    return column == area.kode


def _window(area: Area, today: date, last: date) -> list:
    from outreach.models.planning import MAX_SESSION_DAYS

    RS = RecordingSession
    # `date >= today - MAX_SESSION_DAYS` keeps the look-up on the (area, date) index; the COALESCE keeps a
    # multi-day session that started before today and still runs.
    return [_area_condition(area), RS.date >= today - timedelta(days=MAX_SESSION_DAYS), RS.date <= last,
            sa.func.coalesce(RS.end_date, RS.date) >= today]


def fingerprint(area: Area, today: date, last: date) -> tuple:
    """What the schedule is computed from, cheaply: the area's sessions in the window (any status: a cancelled
    one leaves the list) and their sites' newest change."""
    RS = RecordingSession
    row = db.session.execute(sa.select(sa.func.count(RS.id), sa.func.max(RS.updated_at), sa.func.sum(RS.version),
                                       sa.func.max(Site.updated_at))
                             .join(Site, Site.id == RS.site_id).where(*_window(area, today, last))).one()
    return tuple(str(v) for v in row)


def load_schedule(area: Area, today: date, days: int = DEFAULT_DAYS, max_rows: int = DEFAULT_MAX_ROWS) -> Schedule:
    """The area's public schedule from `today` for `days` days (at most `max_rows` sessions): three queries."""
    last = today + timedelta(days=days)
    RS = RecordingSession
    rows = db.session.execute(
        sa.select(RS.id, RS.date, RS.end_date, RS.start_time, RS.end_time, RS.kind, RS.status,
                  RS.confirmation_status, RS.target_groups, RS.desa_kode, RS.kecamatan_kode, RS.version,
                  RS.updated_at, Site.nama, Site.type, Site.lat, Site.lng)
        .join(Site, Site.id == RS.site_id)
        .where(*_window(area, today, last), RS.status.in_(PUBLIC_STATUSES))
        .order_by(RS.date, RS.start_time, RS.id).limit(max_rows + 1)).all()
    truncated = len(rows) > max_rows
    rows = rows[:max_rows]
    names = _region_names({r.desa_kode for r in rows} | {r.kecamatan_kode for r in rows})
    previous = _previous_dates([r.id for r in rows if r.status == "ditunda"])
    return shape(area, today, last, [dict(r._mapping, previous_date=previous.get(r.id)) for r in rows], names,
                 truncated)


def _region_names(kodes: set) -> dict[str, str]:
    if not kodes:
        return {}
    rows = db.session.execute(sa.select(Region.kode, Region.nama, Region.kind).where(Region.kode.in_(kodes))).all()
    return {k: region_label(n, kind) for k, n, kind in rows}


def _previous_dates(session_ids: list[int]) -> dict[int, date]:
    """{session id: its date before the last postponement}."""
    if not session_ids:
        return {}
    from outreach.models.planning import SessionPostponement as P

    out: dict[int, date] = {}
    for sid, old, _at in db.session.execute(sa.select(P.session_id, P.old_date, P.at)
                                             .where(P.session_id.in_(session_ids)).order_by(P.at, P.id)):
        out[sid] = old
    return out


_cache = ProcessCache(entries=256)


def schedule_for(area: Area, today: date, days: int = DEFAULT_DAYS, max_rows: int = DEFAULT_MAX_ROWS,
                 locale: str = "") -> Schedule:
    """load_schedule, remembered per process by (area, day, locale: the region labels are translated) until the
    area's sessions or sites change."""
    last = today + timedelta(days=days)
    return _cache.get(("jadwal", area, today, days, max_rows, locale), lambda: load_schedule(area, today, days, max_rows),
                      fingerprint=lambda: fingerprint(area, today, last))


# ---------------------------------------------------------------- shaping (pure)

def shape(area: Area, today: date, last: date, rows: Iterable[dict], names: dict[str, str],
          truncated: bool = False) -> Schedule:
    """Rows of sessions joined to their site -> the public schedule, grouped by the day each is listed under
    (its first day, or today for one that has already begun). Personal data is dropped here."""
    sessions = tuple(public_session(row, names) for row in rows)
    days: dict[date, list] = {}
    for s in sessions:
        days.setdefault(max(s.date, today), []).append(s)
    return Schedule(area=area, today=today, last=last, sessions=sessions, truncated=truncated,
                    days=tuple((d, tuple(items)) for d, items in sorted(days.items())))


def public_session(row: dict, names: dict[str, str]) -> PublicSession:
    """One row (session and site columns) as the public sees it: a home visit loses its name and position."""
    home = row.get("type") == HOME
    groups = () if home else tuple(g for g in (row.get("target_groups") or ()) if g in GROUP_HINTS) or ("umum",)
    return PublicSession(
        id=row["id"], date=row["date"], end_date=row.get("end_date"), start=row["start_time"], end=row["end_time"],
        kind=row.get("kind") or "perekaman", status=row["status"],
        confirmed=row["status"] == "terkonfirmasi" or row.get("confirmation_status") == "terkonfirmasi",
        home_visit=home, place="" if home else (row.get("nama") or ""), desa_kode=row["desa_kode"],
        desa=names.get(row["desa_kode"], ""), kecamatan=names.get(row.get("kecamatan_kode") or "", ""),
        groups=groups, previous_date=row.get("previous_date") if row["status"] == "ditunda" else None,
        version=row.get("version") or 0, updated_at=row.get("updated_at"),
        lat=None if home else row.get("lat"), lng=None if home else row.get("lng"))


def who_should_come(s: PublicSession, _=gettext_here) -> list[str]:
    """'Pemilih pemula: remaja yang …', one line per target group; a home visit invites nobody."""
    if s.home_visit:
        return [_(HOME_VISIT_WHO)]
    labels = target_group_labels(_)
    return [f"{labels.get(g, g)}: {_(GROUP_HINTS[g])}" for g in s.groups]


def what_to_bring(s: PublicSession, _=gettext_here) -> list[str]:
    """Documents to bring; an empty list for an awareness meeting (nothing is recorded there)."""
    if s.kind not in RECORDING_KINDS:
        return []
    lines = [_(line) for line in BRING_RECORDING]
    if "pemilih_pemula" in s.groups:
        lines.append(_(BRING_PEMILIH_PEMULA))
    if "umum" in s.groups:
        lines.append(_(BRING_MARRIED))
    return lines


def place_text(s: PublicSession, _=gettext_here) -> str:
    """'Balai Kelurahan Satu A, Kelurahan Satu A' or 'Kunjungan rumah (terjadwal), Kelurahan Satu A'."""
    first = _(HOME_VISIT_PLACE) if s.home_visit else s.place
    return ", ".join(p for p in (first, s.desa) if p)


# ---------------------------------------------------------------- the iCalendar feed

def feed_events(schedule: Schedule, page_url: str, uid_domain: str, kind_labels: dict[str, str],
                _=gettext_here) -> list[ical.FeedEvent]:
    """The schedule's sessions as feed events: UID `jadwal-<id>@domain`, stable for the session's life (a
    postponement moves the event), and only the public facts."""
    events = []
    for s in schedule.sessions:
        lines = [_("Status: %(status)s", status=_("terkonfirmasi") if s.confirmed else _("belum dikonfirmasi"))]
        lines += [_("Sasaran:")] + [f"- {line}" for line in who_should_come(s, _)]
        bring = what_to_bring(s, _)
        lines += ([_("Yang perlu dibawa:")] + [f"- {line}" for line in bring]) if bring else [_(NOTHING_TO_BRING)]
        title = _(HOME_VISIT_PLACE) if s.home_visit else s.place
        events.append(ical.FeedEvent(
            uid=f"jadwal-{s.id}@{uid_domain}", summary=f"{kind_labels.get(s.kind, s.kind)} E-KTP: {title}",
            date=s.date, end_date=s.end_date, start=s.start, end=s.end, location=place_text(s, _),
            description="\n".join(lines) + f"\n\n{page_url}", url=page_url,
            status="terkonfirmasi" if s.confirmed else "rencana", sequence=s.version, last_modified=s.updated_at,
            lat=s.lat, lng=s.lng))
    return events


def feed_bytes(schedule: Schedule, page_url: str, uid_domain: str, kind_labels: dict[str, str],
               tz: str = "Asia/Jakarta", now: Optional[datetime] = None, _=gettext_here) -> bytes:
    """The public iCalendar feed of the schedule (text/calendar)."""
    name = _("Jadwal perekaman E-KTP — %(area)s", area=schedule.area.title(_))
    return ical.build_feed(name, feed_events(schedule, page_url, uid_domain, kind_labels, _), tz=tz, now=now)
