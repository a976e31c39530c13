"""Input checks for the planner, with messages in Bahasa Indonesia for the coordinator."""
from __future__ import annotations

import math
from dataclasses import dataclass

from outreach.planner.model import PlanRequest, id_key


@dataclass(frozen=True)
class Issue:
    field: str  # which input: "tanggal", "tim", "alat", "pengaturan", "lokasi"
    message: str


class PlanInputError(ValueError):
    """Raised by `plan` when the request cannot be planned; `issues` says why."""

    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


def _fmt_date(day) -> str:
    return day.strftime("%d-%m-%Y")


def _names(items) -> str:
    return ", ".join(str(x) for x in items)


def _team(team) -> str:
    """A team as the coordinator knows it: its name, else "tim <id>"."""
    return team.name or f"tim {team.id}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def validate(req: PlanRequest) -> list[Issue]:
    """Everything wrong with the request, as a list (empty when it can be planned)."""
    issues: list[Issue] = []
    add = lambda f, m: issues.append(Issue(f, m))  # noqa: E731

    # Settings.
    def bad_number(x) -> bool:
        return not isinstance(x, (int, float)) or math.isnan(x) or math.isinf(x)

    if bad_number(req.travel_speed_kmh) or req.travel_speed_kmh <= 0:
        add("pengaturan", f"Kecepatan perjalanan harus lebih dari 0 km/jam (sekarang {req.travel_speed_kmh}).")
    if bad_number(req.records_per_kit_hour) or req.records_per_kit_hour <= 0:
        add("pengaturan", "Jumlah perekaman per alat per jam harus lebih dari 0 "
                          f"(sekarang {req.records_per_kit_hour}).")
    if bad_number(req.road_factor) or req.road_factor < 1:
        add("pengaturan", f"Faktor jalan harus minimal 1 (jarak jalan tidak lebih pendek dari garis lurus; "
                          f"sekarang {req.road_factor}).")
    work = req.work_minutes()
    if work <= 0:
        add("pengaturan", f"Jam kerja selesai ({req.work_end:%H:%M}) harus setelah jam mulai ({req.work_start:%H:%M}).")
    if bad_number(req.min_session_hours) or req.min_session_hours < 0:
        add("pengaturan", f"Lama sesi minimal tidak boleh negatif (sekarang {req.min_session_hours}).")
    if bad_number(req.max_session_hours) or req.max_session_hours <= 0:
        add("pengaturan", f"Lama sesi maksimal harus lebih dari 0 jam (sekarang {req.max_session_hours}).")
    elif not bad_number(req.min_session_hours) and req.max_session_hours < req.min_session_hours:
        add("pengaturan", f"Lama sesi maksimal ({req.max_session_hours} jam) lebih kecil dari lama sesi minimal "
                          f"({req.min_session_hours} jam).")
    elif work > 0 and not bad_number(req.min_session_hours) and req.min_session_hours * 60 > work:
        add("pengaturan", f"Lama sesi minimal ({req.min_session_hours} jam) lebih panjang dari jam kerja.")
    w = req.weights
    for label, value in (("pemilih pemula", w.pemilih_pemula), ("wilayah tertinggal", w.lagging),
                         ("hari sejak kunjungan terakhir", w.per_30_days_since_visit),
                         ("batas hari sejak kunjungan terakhir", w.max_days_since_visit)):
        if bad_number(value) or value < 0:
            add("pengaturan", f"Bobot prioritas {label} tidak boleh negatif (sekarang {value}).")

    # Dates.
    days = ()
    if req.last_day < req.first_day:
        add("tanggal", f"Rentang tanggal kosong: tanggal akhir {_fmt_date(req.last_day)} sebelum tanggal mulai "
                       f"{_fmt_date(req.first_day)}.")
    else:
        days = req.working_days()
        if not days:
            add("tanggal", f"Tidak ada hari kerja antara {_fmt_date(req.first_day)} dan {_fmt_date(req.last_day)} "
                           "(akhir pekan dan hari libur nasional tidak dihitung).")
    day_set = set(days)

    # Teams.
    busy_team_days: dict = {}
    busy_kit_days: dict = {}
    for slot in req.busy:
        if slot.date in day_set:
            if slot.team_id is not None:
                busy_team_days.setdefault(slot.team_id, set()).add(slot.date)
            for k in slot.kit_ids:
                busy_kit_days.setdefault(k, set()).add(slot.date)
    kit_ids = {k.id for k in req.kits}
    if not req.teams:
        add("tim", "Tidak ada tim yang tersedia: tambahkan tim perekaman terlebih dahulu.")
    elif days:
        for t in req.teams:
            if not (-90 <= t.lat <= 90 and -180 <= t.lng <= 180):
                add("tim", f"Lokasi kantor {_team(t)} tidak valid ({t.lat}, {t.lng}).")
            if t.kit_ids is not None:
                unknown = [k for k in t.kit_ids if k not in kit_ids]
                if unknown:
                    add("tim", _sentence(f"{_team(t)} memakai alat yang tidak dikenal: {_names(unknown)}."))
        free = [t for t in req.teams if len(busy_team_days.get(t.id, ())) < len(days)]
        if not free:
            add("tim", "Tidak ada tim yang tersedia: semua tim ("
                       f"{_names(_team(t) for t in sorted(req.teams, key=lambda t: id_key(t.id)))}) "
                       "sudah terjadwal pada semua hari kerja dalam rentang ini.")

    # Kits.
    if not req.kits:
        add("alat", "Tidak ada alat perekaman yang tersedia: tambahkan alat terlebih dahulu.")
    elif days:
        repair = [k for k in req.kits if k.under_repair]
        out = [k for k in req.kits if not k.under_repair
               and all(d in k.unavailable_dates or d in busy_kit_days.get(k.id, ()) for d in days)]
        if len(repair) + len(out) == len(req.kits):
            parts = []
            if repair:
                parts.append(f"{_names(k.code or k.id for k in repair)} sedang diperbaiki")
            if out:
                parts.append(f"{_names(k.code or k.id for k in out)} sudah terpakai atau tidak tersedia "
                             "pada semua hari kerja")
            add("alat", "Tidak ada alat yang tersedia: " + "; ".join(parts) + ".")
        else:
            usable = {k.id for k in req.kits if k not in repair and k not in out}
            for t in req.teams:
                if t.kit_ids is not None and not (set(t.kit_ids) & usable):
                    add("alat", _sentence(f"{_team(t)} tidak punya alat yang tersedia dalam rentang ini."))

    # Sites and targets.
    bad_coords = [s for s in req.sites if not (-90 <= s.lat <= 90 and -180 <= s.lng <= 180)]
    for s in bad_coords:
        add("lokasi", f"Koordinat lokasi {s.name or s.id} tidak valid ({s.lat}, {s.lng}).")
    negative = [s for s in req.sites if s.backlog < 0 or s.pemilih_pemula < 0]
    for s in negative:
        add("lokasi", f"Backlog atau pemilih pemula lokasi {s.name or s.id} tidak boleh negatif.")
    neg_desa = sorted(k for k, v in req.desa_backlog.items() if v is None or v < 0)
    if neg_desa:
        add("lokasi", f"Backlog desa tidak boleh negatif: {_names(neg_desa)}.")
    if not req.sites:
        add("lokasi", "Wilayah ini tidak punya sasaran: belum ada lokasi (RT/RW, balai desa, sekolah) "
                      "untuk dikunjungi.")
    elif not bad_coords and not negative:
        from outreach.planner.instance import has_target

        pools: dict = {}
        for s in req.sites:
            if s.desa is not None:
                given = req.desa_backlog.get(s.desa)
                pools[s.desa] = given if given is not None else max(pools.get(s.desa, 0), s.backlog)
        if not any(has_target(s, pools.get(s.desa)) for s in req.sites):
            add("lokasi", "Wilayah ini tidak punya sasaran: tidak ada lokasi dengan backlog yang bisa dijangkau "
                          "atau pemilih pemula yang belum direkam.")
    return issues
