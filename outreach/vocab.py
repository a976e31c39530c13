"""One vocabulary: every enumeration a user sees, declared once as its keys with one label per key.

Recorded groups (also a session's target groups), sexes, not-recorded reasons and away reasons of the
turnout log; session statuses and kinds; site types; user roles; kit statuses; job statuses and triggers;
region levels and kinds. The models, the pure rules, the forms' choices, the pages, the exports and the
API read the key tuples and the label functions from here; a label is never retyped elsewhere. (The role
constants the views declare stay in outreach.permissions; their labels are here.)

A key without a label is shown readably ("sekolah_luar_daerah" → "Sekolah luar daerah") until its label
is added below. Also the turnout log's column names (`recorded_umum`, `away_lainnya`, ...) and their
labels as an audit entry names them.

Pure: needs no app (it imports only outreach.i18n). The msgids are marked with N_ (extracted by pybabel) and
translated when a label function is called (outreach.i18n.gettext_here: the user's language in a
request, the Indonesian msgid elsewhere).
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Optional

from outreach.i18n import N_, gettext_here

# ---------------------------------------------------------------- the turnout log

# Groups of recorded residents; a session's target groups are the same keys.
RECORDED_GROUPS = ("pemilih_pemula", "umum", "lansia_disabilitas")
TARGET_GROUPS = RECORDED_GROUPS
RECORDED_GROUP_LABELS = {
    "pemilih_pemula": N_("Pemilih pemula"),
    "umum": N_("Umum"),
    "lansia_disabilitas": N_("Lansia, disabilitas, dan sakit (di rumah)"),
}
SEXES = ("L", "P")
SEX_LABELS = {
    "L": N_("Laki-laki (L)"),
    "P": N_("Perempuan (P)"),
}
# Why people who came could not be recorded.
NOT_RECORDED_REASONS = ("tidak_ditemukan_siak", "sudah_rekam", "belum_cukup_umur", "gangguan_alat_jaringan",
                        "tidak_bersedia")
NOT_RECORDED_LABELS = {
    "tidak_ditemukan_siak": N_("Data tidak ditemukan di SIAK / NIK ganda"),
    "sudah_rekam": N_("Ternyata sudah rekam"),
    "belum_cukup_umur": N_("Belum cukup umur"),
    "gangguan_alat_jaringan": N_("Gangguan alat atau jaringan"),
    "tidak_bersedia": N_("Tidak bersedia"),
}
# Reasons a resident is known to be away (not reachable by a local session): abroad (migrant workers,
# TKI/PMI), studying outside the region, working outside the region, moved away or died, other.
AWAY_REASONS = ("luar_negeri", "sekolah_luar_daerah", "bekerja_luar_daerah", "pindah_meninggal", "lainnya")
AWAY_REASON_LABELS = {
    "luar_negeri": N_("Di luar negeri / pekerja migran (TKI/PMI)"),
    "sekolah_luar_daerah": N_("Sekolah/kuliah di luar daerah"),
    "bekerja_luar_daerah": N_("Bekerja di luar daerah"),
    "pindah_meninggal": N_("Pindah atau meninggal"),
    "lainnya": N_("Lainnya"),
}
# The one reason earlier versions had for both students and workers outside the region; input that still
# uses it (a log queued on a phone before the split) is taken as working outside the region.
LEGACY_AWAY_REASONS = {"luar_daerah": "bekerja_luar_daerah"}
# Residents who refused to record (logged as "tidak_bersedia"): an obstacle of their own per desa.
MENOLAK_LABEL = N_("Menolak direkam")
# The log's other columns, as an audit entry of the log names them.
LOG_FIELD_LABELS = {
    "recorded_total": N_("Jumlah terekam"),
    "started_at": N_("Jam mulai"),
    "ended_at": N_("Jam selesai"),
    "kit_ids": N_("Alat yang dipakai"),
    "notes": N_("Catatan"),
    "over_capacity_confirmed": N_("Konfirmasi melebihi kemampuan alat"),
}
# Column families of a log: column prefix -> the label of the family with the key's label.
_FAMILY_TITLES = {
    "recorded_": N_("Terekam: %(label)s"),
    "not_recorded_": N_("Tidak terekam: %(label)s"),
    "away_": N_("Diketahui tidak di tempat: %(label)s"),
}


def recorded_column(group: str) -> str:
    """The turnout log's column of a recorded group: "umum" → "recorded_umum"."""
    return f"recorded_{group}"


def sex_column(sex: str) -> str:
    """The turnout log's column of a sex: "L" → "recorded_l"."""
    return f"recorded_{sex.lower()}"


def not_recorded_column(reason: str) -> str:
    """The turnout log's column of a not-recorded reason."""
    return f"not_recorded_{reason}"


def away_column(reason: str) -> str:
    """The turnout log's (and the desa tally's) column of an away reason."""
    return f"away_{reason}"


# ---------------------------------------------------------------- sessions and sites

SESSION_STATUSES = ("rencana", "terkonfirmasi", "selesai", "dibatalkan", "ditunda")
SESSION_STATUS_LABELS = {
    "rencana": N_("Rencana"),
    "terkonfirmasi": N_("Terkonfirmasi"),
    "selesai": N_("Selesai"),
    "dibatalkan": N_("Dibatalkan"),
    "ditunda": N_("Ditunda"),
}
# Forecast statuses of an area (outreach.coverage.forecast): when its reachable backlog reaches zero.
FORECAST_STATUSES = ("selesai", "sesuai", "terlambat", "macet")
FORECAST_STATUS_LABELS = {
    "selesai": N_("Sudah nol"),
    "sesuai": N_("Sesuai jadwal"),
    "terlambat": N_("Terlambat"),
    "macet": N_("Macet (belum rekam tidak turun)"),
}
SESSION_KINDS = ("perekaman", "sosialisasi", "keduanya")
SESSION_KIND_LABELS = {
    "perekaman": N_("Perekaman"),
    "sosialisasi": N_("Sosialisasi"),
    "keduanya": N_("Perekaman dan sosialisasi"),
}
SITE_TYPES = ("rt_rw", "balai_desa", "sekolah", "kantor_kecamatan", "rumah", "lainnya")
SITE_TYPE_LABELS = {
    "rt_rw": N_("RT/RW"),
    "balai_desa": N_("Balai desa/kelurahan"),
    "sekolah": N_("Sekolah"),
    "kantor_kecamatan": N_("Kantor kecamatan"),
    "rumah": N_("Rumah (kunjungan lansia/disabilitas/sakit)"),
    "lainnya": N_("Lainnya (pesantren, pabrik, rumah sakit, ...)"),
}

# ---------------------------------------------------------------- requests and confirmations

# What a resident, school, institution or RT asks a visit for (the public request form, the API's `kind`).
# Home visits (rumah_*) become a `rumah` site with the request's people as its pool.
REQUEST_KINDS = ("rumah_lansia", "rumah_sakit", "rumah_disabilitas", "rumah_odgj", "sekolah", "pesantren",
                 "panti", "lapas", "perusahaan", "lembaga_lain", "rt_rw")
REQUEST_KIND_LABELS = {
    "rumah_lansia": N_("Kunjungan rumah: lansia"),
    "rumah_sakit": N_("Kunjungan rumah: sakit"),
    "rumah_disabilitas": N_("Kunjungan rumah: penyandang disabilitas"),
    "rumah_odgj": N_("Kunjungan rumah: ODGJ"),
    "sekolah": N_("Sekolah"),
    "pesantren": N_("Pesantren"),
    "panti": N_("Panti (wreda, asuhan, sosial)"),
    "lapas": N_("Lapas / rutan"),
    "perusahaan": N_("Perusahaan / pabrik"),
    "lembaga_lain": N_("Lembaga lain"),
    "rt_rw": N_("Pertemuan RT/RW"),
}
HOME_VISIT_KINDS = ("rumah_lansia", "rumah_sakit", "rumah_disabilitas", "rumah_odgj")
# A request's way through the coordinator's queue: baru → diverifikasi → dijadwalkan → selesai, or ditolak.
REQUEST_STATUSES = ("baru", "diverifikasi", "dijadwalkan", "selesai", "ditolak")
REQUEST_STATUS_LABELS = {
    "baru": N_("Baru"),
    "diverifikasi": N_("Diverifikasi"),
    "dijadwalkan": N_("Dijadwalkan"),
    "selesai": N_("Selesai"),
    "ditolak": N_("Ditolak"),
}
# Requests still waiting for the coordinator (counted on the dashboard and the map).
REQUEST_OPEN_STATUSES = ("baru", "diverifikasi", "dijadwalkan")
REQUEST_WAITING_STATUSES = ("baru", "diverifikasi")
REQUEST_CLOSED_STATUSES = ("selesai", "ditolak")
# The site contact's answer to "Minta konfirmasi": diminta (link made) → menunggu (link sent) →
# terkonfirmasi / jadwal_ulang / ditolak.
CONFIRMATION_STATUSES = ("diminta", "menunggu", "terkonfirmasi", "jadwal_ulang", "ditolak")
CONFIRMATION_STATUS_LABELS = {
    "diminta": N_("Konfirmasi diminta"),
    "menunggu": N_("Menunggu balasan"),
    "terkonfirmasi": N_("Dikonfirmasi pihak lokasi"),
    "jadwal_ulang": N_("Minta jadwal ulang"),
    "ditolak": N_("Ditolak pihak lokasi"),
}
# The answers a contact can give on the signed page (the form's `answer`) and the status each leads to.
CONFIRMATION_ANSWERS = {"konfirmasi": "terkonfirmasi", "jadwal_ulang": "jadwal_ulang", "tolak": "ditolak"}

# ---------------------------------------------------------------- people, kits, jobs, regions

ROLES = ("admin", "manager", "coordinator", "field")  # outreach.permissions names each: ADMIN, MANAGER, ...
ROLE_LABELS = {
    "admin": N_("Admin"),
    "manager": N_("Manajer"),
    "coordinator": N_("Koordinator kecamatan"),
    "field": N_("Tim lapangan"),
}
KIT_STATUSES = ("ok", "rusak", "servis")
KIT_STATUS_LABELS = {
    "ok": N_("Baik"),
    "rusak": N_("Rusak"),
    "servis": N_("Sedang diservis"),
}
JOB_STATUSES = ("claimed", "running", "done", "failed")
JOB_STATUS_LABELS = {
    "claimed": N_("diklaim"),
    "running": N_("berjalan"),
    "done": N_("selesai"),
    "failed": N_("gagal"),
}
# What the admin page shows of a run: its status, or "lost" for a run still marked claimed/running whose
# lease expired (its process stopped renewing the heartbeat) and that no sweep has taken over yet.
JOB_RUN_STATES = JOB_STATUSES + ("lost",)
JOB_RUN_STATE_LABELS = {
    **JOB_STATUS_LABELS,
    "lost": N_("terputus"),
}
# How a job run was started ("backdated": `flask snapshot --date` of a past day).
JOB_TRIGGERS = ("schedule", "manual", "cli", "retry", "backdated")
JOB_TRIGGER_LABELS = {
    "schedule": N_("jadwal"),
    "manual": N_("manual (admin)"),
    "cli": N_("baris perintah"),
    "retry": N_("ulang otomatis"),
    "backdated": N_("tanggal lampau (baris perintah)"),
}
LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")
LEVEL_LABELS = {
    "provinsi": N_("Provinsi"),
    "kabupaten": N_("Kabupaten/Kota"),
    "kecamatan": N_("Kecamatan"),
    "desa": N_("Desa/Kelurahan"),
}
# What a region is called (a kabupaten or a kota, a desa or a kelurahan: outreach.models.regions.kind_of).
REGION_KINDS = ("provinsi", "kabupaten", "kota", "kecamatan", "desa", "kelurahan")
REGION_KIND_LABELS = {
    "provinsi": N_("Provinsi"),
    "kabupaten": N_("Kabupaten"),
    "kota": N_("Kota"),
    "kecamatan": N_("Kecamatan"),
    "desa": N_("Desa"),
    "kelurahan": N_("Kelurahan"),
}

# A large admin upload processed in the background (outreach/imports/tasks.py): waiting for the runner,
# running, finished (a preview's report, or the stored import), failed (an error, or stopped: its
# process stopped saying it is alive).
IMPORT_TASK_STATES = ("menunggu", "berjalan", "selesai", "gagal")
IMPORT_TASK_STATE_LABELS = {
    "menunggu": N_("Menunggu"),
    "berjalan": N_("Berjalan"),
    "selesai": N_("Selesai"),
    "gagal": N_("Gagal"),
}

# Every enumeration by name: (keys, {key: msgid}). tests/test_vocab.py walks it.
ENUMERATIONS: dict[str, tuple[tuple[str, ...], Mapping[str, str]]] = {
    "recorded_group": (RECORDED_GROUPS, RECORDED_GROUP_LABELS),
    "sex": (SEXES, SEX_LABELS),
    "not_recorded_reason": (NOT_RECORDED_REASONS, NOT_RECORDED_LABELS),
    "away_reason": (AWAY_REASONS, AWAY_REASON_LABELS),
    "session_status": (SESSION_STATUSES, SESSION_STATUS_LABELS),
    "session_kind": (SESSION_KINDS, SESSION_KIND_LABELS),
    "forecast_status": (FORECAST_STATUSES, FORECAST_STATUS_LABELS),
    "site_type": (SITE_TYPES, SITE_TYPE_LABELS),
    "role": (ROLES, ROLE_LABELS),
    "kit_status": (KIT_STATUSES, KIT_STATUS_LABELS),
    "job_status": (JOB_STATUSES, JOB_STATUS_LABELS),
    "job_run_state": (JOB_RUN_STATES, JOB_RUN_STATE_LABELS),
    "job_trigger": (JOB_TRIGGERS, JOB_TRIGGER_LABELS),
    "level": (LEVELS, LEVEL_LABELS),
    "region_kind": (REGION_KINDS, REGION_KIND_LABELS),
    "request_kind": (REQUEST_KINDS, REQUEST_KIND_LABELS),
    "request_status": (REQUEST_STATUSES, REQUEST_STATUS_LABELS),
    "confirmation_status": (CONFIRMATION_STATUSES, CONFIRMATION_STATUS_LABELS),
    "import_task_state": (IMPORT_TASK_STATES, IMPORT_TASK_STATE_LABELS),
}


# ---------------------------------------------------------------- labels

def readable_key(key: str) -> str:
    """A key without a label, made readable: "sekolah_luar_daerah" → "Sekolah luar daerah"."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def labels_for(keys: Iterable[str], table: Mapping[str, str],
               _: Optional[Callable[..., str]] = None) -> dict[str, str]:
    """{key: translated label} for `keys` in their order; a key missing from `table` gets readable_key."""
    translate = _ or gettext_here
    return {k: translate(table[k]) if k in table else readable_key(k) for k in keys}


def labels_of(name: str, _=None) -> dict[str, str]:
    """{key: translated label} of the enumeration `name` (a key of ENUMERATIONS), in its order."""
    keys, table = ENUMERATIONS[name]
    return labels_for(keys, table, _)


def choices_of(name: str, _=None) -> list[tuple[str, str]]:
    """[(key, translated label)] of the enumeration `name`: a form's choices."""
    return list(labels_of(name, _).items())


def recorded_group_labels(_=None) -> dict[str, str]:
    """Labels of the recorded groups (also a session's target groups)."""
    return labels_of("recorded_group", _)


target_group_labels = recorded_group_labels


def sex_labels(_=None) -> dict[str, str]:
    """Labels of the sexes a log counts (L, P)."""
    return labels_of("sex", _)


def not_recorded_labels(_=None) -> dict[str, str]:
    """Labels of the reasons people who came could not be recorded."""
    return labels_of("not_recorded_reason", _)


def away_reason_labels(_=None) -> dict[str, str]:
    """Labels of the reasons residents are known to be away."""
    return labels_of("away_reason", _)


def session_status_labels(_=None) -> dict[str, str]:
    """Labels of a session's statuses."""
    return labels_of("session_status", _)


def forecast_status_labels(_=None) -> dict[str, str]:
    """Labels of an area's forecast status (sudah nol, sesuai jadwal, terlambat, macet)."""
    return labels_of("forecast_status", _)


def session_kind_labels(_=None) -> dict[str, str]:
    """Labels of a session's kinds (recording, awareness, both)."""
    return labels_of("session_kind", _)


def site_type_labels(_=None) -> dict[str, str]:
    """Labels of the site types."""
    return labels_of("site_type", _)


def role_labels(_=None) -> dict[str, str]:
    """Labels of the user roles."""
    return labels_of("role", _)


def kit_status_labels(_=None) -> dict[str, str]:
    """Labels of a kit's statuses."""
    return labels_of("kit_status", _)


def job_status_labels(_=None) -> dict[str, str]:
    """Labels of a job run's statuses."""
    return labels_of("job_status", _)


def job_run_state_labels(_=None) -> dict[str, str]:
    """Labels of what the admin page shows of a run (its status, or "lost")."""
    return labels_of("job_run_state", _)


def job_trigger_labels(_=None) -> dict[str, str]:
    """Labels of how a job run was started."""
    return labels_of("job_trigger", _)


def level_labels(_=None) -> dict[str, str]:
    """Labels of the region levels."""
    return labels_of("level", _)


def region_kind_labels(_=None) -> dict[str, str]:
    """Labels of what a region is called (kabupaten or kota, desa or kelurahan, ...)."""
    return labels_of("region_kind", _)


def region_label(nama: str, kind: str, _=None) -> str:
    """'Kelurahan Meteseh', 'Kota Semarang': a region's name with what it is called (the name alone for a
    kecamatan or a province, whose label the page adds, and for a name that already starts with it)."""
    if kind not in ("desa", "kelurahan", "kota", "kabupaten"):
        return nama
    prefix = region_kind_labels(_)[kind]
    if nama.lower().startswith(prefix.lower()):
        return nama
    return f"{prefix} {nama}"


def log_label_families(_=None) -> dict[str, dict[str, str]]:
    """The log's count families by their API name: {"recorded": {...}, "recorded_by_sex": {...},
    "not_recorded": {...}, "away": {...}}."""
    return {"recorded": recorded_group_labels(_), "recorded_by_sex": sex_labels(_),
            "not_recorded": not_recorded_labels(_), "away": away_reason_labels(_)}


def log_field_label(column: str, _=None) -> str:
    """The label of one column of a turnout log (as an audit entry names it), e.g. "recorded_umum" →
    "Terekam: Umum". Columns of reasons no longer in the tuples keep a readable label."""
    translate = _ or gettext_here
    if column in LOG_FIELD_LABELS:
        return translate(LOG_FIELD_LABELS[column])
    for prefix, title in _FAMILY_TITLES.items():
        if column.startswith(prefix):
            key = column[len(prefix):]
            if prefix == "recorded_":
                table = {**RECORDED_GROUP_LABELS, **{s.lower(): v for s, v in SEX_LABELS.items()}}
            else:
                table = NOT_RECORDED_LABELS if prefix == "not_recorded_" else AWAY_REASON_LABELS
            label = translate(table[key]) if key in table else readable_key(key)
            return translate(title, label=label)
    return readable_key(column)


# ---------------------------------------------------------------- the change log (audit entries)

# What changed, in words: the kind of object an audit entry is about.
AUDIT_ENTITY_LABELS = {
    "recording_session": N_("Sesi"),
    "turnout_log": N_("Laporan hasil sesi"),
    "site": N_("Lokasi"),
    "user": N_("Pengguna"),
    "team": N_("Tim"),
    "kit": N_("Alat"),
    "api_token": N_("Token API"),
    "calendar_entry": N_("Kalender libur"),
    "refuser_followup": N_("Tindak lanjut penduduk yang menolak"),
    "visit_request": N_("Permohonan kunjungan"),
}
AUDIT_ACTION_LABELS = {
    "create": N_("dibuat"), "update": N_("diubah"), "delete": N_("dihapus"), "import": N_("diimpor"),
    "reset_password": N_("kata sandi diatur ulang"), "rotate_calendar_link": N_("tautan kalender diganti"),
    "issue": N_("diterbitkan"), "revoke": N_("dicabut"),
    "status:terkonfirmasi": N_("dikonfirmasi"), "status:dibatalkan": N_("dibatalkan"),
    "status:ditunda": N_("ditunda"), "status:selesai": N_("selesai"), "status:rencana": N_("direncanakan"),
    "status": N_("status diubah"), "lihat": N_("data pribadi dilihat"),
    "hapus_data_pribadi": N_("data pribadi dihapus"),
}
# The columns audit entries name, by their column name (turnout logs: log_field_label).
AUDIT_FIELD_LABELS = {
    "site_id": N_("Lokasi"), "date": N_("Tanggal"), "end_date": N_("Sampai tanggal"), "start": N_("Jam mulai"),
    "end": N_("Jam selesai"), "team_id": N_("Tim"), "kit_ids": N_("Alat"), "kind": N_("Jenis"),
    "target_groups": N_("Sasaran"), "notes": N_("Catatan"), "note": N_("Catatan"),
    "confirmed_with": N_("Dikonfirmasi dengan"), "confirmed_at": N_("Waktu konfirmasi"),
    "cancel_reason": N_("Alasan pembatalan"), "status": N_("Status"), "expected_turnout": N_("Perkiraan hadir"),
    "override_reason": N_("Alasan pengecualian"), "mop_up_of_id": N_("Susulan dari sesi"),
    "nama": N_("Nama"), "name": N_("Nama"), "username": N_("Nama pengguna"), "email": N_("Email"),
    "role": N_("Peran"), "scope_kode": N_("Wilayah tugas"), "national": N_("Cakupan nasional"), "active": N_("Aktif"),
    "locale": N_("Bahasa"),
    "office_kode": N_("Kantor (kabupaten/kota)"), "office_lat": N_("Lintang kantor"), "office_lng": N_("Bujur kantor"),
    "members": N_("Anggota"), "phone": N_("Telepon"), "code": N_("Kode alat"), "tokens_revoked": N_("Token dicabut"),
    "user_id": N_("Pengguna"), "prefix": N_("Awalan token"), "expires_at": N_("Berlaku sampai"),
    "revoked_at": N_("Dicabut pada"), "desa_kode": N_("Desa/kelurahan"), "count": N_("Jumlah"),
    "followed_on": N_("Tanggal tindak lanjut"), "type": N_("Jenis"), "lat": N_("Lintang"), "lng": N_("Bujur"),
    "address": N_("Alamat"), "contact_name": N_("Narahubung"), "contact_phone": N_("Telepon"),
    "pemilih_pemula": N_("Pemilih pemula"), "unavailable_dates": N_("Tanggal tidak bisa dipakai"),
    "first": N_("Tanggal awal"), "last": N_("Tanggal akhir"), "region_kode": N_("Wilayah"),
    "replaces_date": N_("Menggantikan tanggal"),
}


def audit_entity_label(entity: str, _=None) -> str:
    """"turnout_log" → "Laporan hasil sesi"; an unknown kind made readable."""
    translate = _ or gettext_here
    return translate(AUDIT_ENTITY_LABELS[entity]) if entity in AUDIT_ENTITY_LABELS else readable_key(entity)


def audit_action_label(action: str, _=None) -> str:
    translate = _ or gettext_here
    return translate(AUDIT_ACTION_LABELS[action]) if action in AUDIT_ACTION_LABELS else readable_key(action)


def audit_field_label(entity: str, column: str, _=None) -> str:
    """A column an audit entry names, in words: "recorded_umum" of a turnout log → "Terekam: Umum"."""
    translate = _ or gettext_here
    if entity == "turnout_log":
        return log_field_label(column, translate)
    return translate(AUDIT_FIELD_LABELS[column]) if column in AUDIT_FIELD_LABELS else readable_key(column)
