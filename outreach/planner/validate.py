"""Input checks for the planner, with messages for the coordinator (Indonesian msgids, in the user's
language inside a request, Bahasa Indonesia elsewhere)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from outreach.i18n import gettext_here as _
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
    """As the pages write a day: "Sen, 14 Des" (with the year outside this year)."""
    from outreach.templating import short_day

    return short_day(day)


def _fmt_time(value) -> str:
    from outreach.templating import clock_text

    return clock_text(value)


def _names(items) -> str:
    return ", ".join(str(x) for x in items)


def _team(team) -> str:
    """A team as the coordinator knows it: its name, else "tim <id>"."""
    return team.name or _("tim %(id)s", id=team.id)


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
        add("pengaturan", _("Kecepatan perjalanan harus lebih dari 0 km/jam (sekarang %(value)s).",
                            value=req.travel_speed_kmh))
    if bad_number(req.records_per_kit_hour) or req.records_per_kit_hour <= 0:
        add("pengaturan", _("Jumlah perekaman per alat per jam harus lebih dari 0 (sekarang %(value)s).",
                            value=req.records_per_kit_hour))
    if bad_number(req.road_factor) or req.road_factor < 1:
        add("pengaturan", _("Faktor jalan harus minimal 1 (jarak jalan tidak lebih pendek dari garis lurus; "
                            "sekarang %(value)s).", value=req.road_factor))
    work = req.work_minutes()
    if work <= 0:
        add("pengaturan", _("Jam kerja selesai (%(end)s) harus setelah jam mulai (%(start)s).",
                            end=_fmt_time(req.work_end), start=_fmt_time(req.work_start)))
    if bad_number(req.min_session_hours) or req.min_session_hours < 0:
        add("pengaturan", _("Lama sesi minimal tidak boleh negatif (sekarang %(value)s).",
                            value=req.min_session_hours))
    if bad_number(req.max_session_hours) or req.max_session_hours <= 0:
        add("pengaturan", _("Lama sesi maksimal harus lebih dari 0 jam (sekarang %(value)s).",
                            value=req.max_session_hours))
    elif not bad_number(req.min_session_hours) and req.max_session_hours < req.min_session_hours:
        add("pengaturan", _("Lama sesi maksimal (%(max)s jam) lebih kecil dari lama sesi minimal (%(min)s jam).",
                            max=req.max_session_hours, min=req.min_session_hours))
    elif work > 0 and not bad_number(req.min_session_hours) and req.min_session_hours * 60 > work:
        add("pengaturan", _("Lama sesi minimal (%(min)s jam) lebih panjang dari jam kerja.",
                            min=req.min_session_hours))
    w = req.weights
    for label, value in ((_("pemilih pemula"), w.pemilih_pemula), (_("wilayah tertinggal"), w.lagging),
                         (_("hari sejak kunjungan terakhir"), w.per_30_days_since_visit),
                         (_("batas hari sejak kunjungan terakhir"), w.max_days_since_visit),
                         (_("kunjungan rumah"), w.home_visit)):
        if bad_number(value) or value < 0:
            add("pengaturan", _("Bobot prioritas %(label)s tidak boleh negatif (sekarang %(value)s).",
                                label=label, value=value))

    # Dates.
    days = ()
    if req.last_day < req.first_day:
        add("tanggal", _("Rentang tanggal kosong: tanggal akhir %(last)s sebelum tanggal mulai %(first)s.",
                         last=_fmt_date(req.last_day), first=_fmt_date(req.first_day)))
    else:
        days = req.working_days()
        if not days:
            add("tanggal", _("Tidak ada hari kerja antara %(first)s dan %(last)s "
                             "(akhir pekan dan hari libur nasional tidak dihitung).",
                             first=_fmt_date(req.first_day), last=_fmt_date(req.last_day)))
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
        add("tim", _("Tidak ada tim yang tersedia: tambahkan tim perekaman terlebih dahulu."))
    elif days:
        for t in req.teams:
            if not (-90 <= t.lat <= 90 and -180 <= t.lng <= 180):
                add("tim", _("Lokasi kantor %(team)s tidak valid (%(lat)s, %(lng)s).", team=_team(t), lat=t.lat,
                             lng=t.lng))
            if t.kit_ids is not None:
                unknown = [k for k in t.kit_ids if k not in kit_ids]
                if unknown:
                    add("tim", _sentence(_("%(team)s memakai alat yang tidak dikenal: %(kits)s.", team=_team(t),
                                           kits=_names(unknown))))
        free = [t for t in req.teams if len(busy_team_days.get(t.id, ())) < len(days)]
        if not free:
            add("tim", _("Tidak ada tim yang tersedia: semua tim (%(teams)s) sudah terjadwal pada semua hari kerja "
                         "dalam rentang ini.",
                         teams=_names(_team(t) for t in sorted(req.teams, key=lambda t: id_key(t.id)))))

    # Kits.
    if not req.kits:
        add("alat", _("Tidak ada alat perekaman yang tersedia: tambahkan alat terlebih dahulu."))
    elif days:
        repair = [k for k in req.kits if k.under_repair]
        out = [k for k in req.kits if not k.under_repair
               and all(d in k.unavailable_dates or d in busy_kit_days.get(k.id, ()) for d in days)]
        if len(repair) + len(out) == len(req.kits):
            parts = []
            if repair:
                parts.append(_("%(kits)s sedang diperbaiki", kits=_names(k.code or k.id for k in repair)))
            if out:
                parts.append(_("%(kits)s sudah terpakai atau tidak tersedia pada semua hari kerja",
                               kits=_names(k.code or k.id for k in out)))
            add("alat", _("Tidak ada alat yang tersedia: %(reasons)s.", reasons="; ".join(parts)))
        else:
            usable = {k.id for k in req.kits if k not in repair and k not in out}
            for t in req.teams:
                if t.kit_ids is not None and not (set(t.kit_ids) & usable):
                    add("alat", _sentence(_("%(team)s tidak punya alat yang tersedia dalam rentang ini.",
                                            team=_team(t))))

    # Sites and targets.
    bad_coords = [s for s in req.sites if not (-90 <= s.lat <= 90 and -180 <= s.lng <= 180)]
    for s in bad_coords:
        add("lokasi", _("Koordinat lokasi %(site)s tidak valid (%(lat)s, %(lng)s).", site=s.name or s.id,
                        lat=s.lat, lng=s.lng))
    negative = [s for s in req.sites if s.backlog < 0 or s.pemilih_pemula < 0]
    for s in negative:
        add("lokasi", _("Backlog atau pemilih pemula lokasi %(site)s tidak boleh negatif.", site=s.name or s.id))
    neg_desa = sorted(k for k, v in req.desa_backlog.items() if v is None or v < 0)
    if neg_desa:
        add("lokasi", _("Backlog desa tidak boleh negatif: %(desa)s.", desa=_names(neg_desa)))
    issues.extend(home_visit_issues(req))
    if not req.sites and not req.home_visits:
        add("lokasi", _("Wilayah ini tidak punya sasaran: belum ada lokasi (RT/RW, balai desa, sekolah) "
                        "untuk dikunjungi."))
    elif not bad_coords and not negative:
        from outreach.planner.instance import has_target

        pools: dict = {}
        for s in req.sites:
            if s.desa is not None:
                given = req.desa_backlog.get(s.desa)
                pools[s.desa] = given if given is not None else max(pools.get(s.desa, 0), s.backlog)
        if not req.home_visits and not any(has_target(s, pools.get(s.desa)) for s in req.sites):
            add("lokasi", _("Wilayah ini tidak punya sasaran: tidak ada lokasi dengan backlog yang bisa dijangkau "
                            "atau pemilih pemula yang belum direkam."))
    return issues


def home_visit_issues(req: PlanRequest) -> list[Issue]:
    """What is wrong with the request's home visits: settings, places, head counts, a request twice."""
    issues: list[Issue] = []
    if not req.home_visits:
        return issues
    minutes = req.home_visit_minutes
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not math.isfinite(minutes) \
            or minutes <= 0:
        issues.append(Issue("pengaturan", _("Lama satu kunjungan rumah harus lebih dari 0 menit (sekarang "
                                            "%(value)s).", value=minutes)))
    per_day = req.home_visits_per_day
    if isinstance(per_day, bool) or not isinstance(per_day, int) or per_day < 1:
        issues.append(Issue("pengaturan", _("Jumlah kunjungan rumah per tim per hari minimal 1 (sekarang "
                                            "%(value)s).", value=per_day)))
    for v in req.home_visits:
        if not (-90 <= v.lat <= 90 and -180 <= v.lng <= 180):
            issues.append(Issue("lokasi", _("Koordinat rumah permohonan %(code)s tidak valid.", code=v.request_code)))
        if v.people < 1:
            issues.append(Issue("lokasi", _("Jumlah orang pada permohonan %(code)s harus minimal 1.",
                                            code=v.request_code)))
    issues.extend(twice_issues(req.home_visits))
    return issues


def twice_issues(items) -> list[Issue]:
    """A request scheduled (or loaded) more than once makes a proposal invalid: one issue per request.
    `items`: HomeVisits, ProposedSessions or the proposal's item dicts."""
    from outreach.planner.home_visits import duplicate_requests

    codes = {}
    for item in items:
        get = item.get if isinstance(item, dict) else (lambda k, d=None, o=item: getattr(o, k, d))
        if get("request_id") is not None:
            codes.setdefault(get("request_id"), get("request_code") or str(get("request_id")))
    return [Issue("permohonan", _("Permohonan %(code)s dijadwalkan lebih dari sekali; satu permohonan kunjungan "
                                  "rumah hanya mendapat satu sesi.", code=codes[rid]))
            for rid in duplicate_requests(list(items))]
