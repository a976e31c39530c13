"""WhatsApp-ready announcement of a recording session, in Bahasa Indonesia: plain Python, no Flask.

The text says when, where, who should come and what to bring, with dates written the Indonesian
way ("Senin, 11 Mei 2026", "08.00–12.00 WIB"). WhatsApp shows *text* in bold. The caller fills an
`AnnouncementInput` from the session (see outreach.planning.serialize.announcement_for).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Optional

from babel.dates import format_date

RECORDING_KINDS = ("perekaman", "keduanya")


@dataclass(frozen=True)
class AnnouncementInput:
    site_name: str
    date: date
    start: time
    end: time
    end_date: Optional[date] = None
    site_type: str = "balai_desa"
    address: str = ""
    rt: Optional[int] = None
    rw: Optional[int] = None
    desa_name: str = ""
    desa_kind: str = "desa"  # "desa" | "kelurahan"
    kecamatan_name: str = ""
    kabupaten_name: str = ""
    kind: str = "perekaman"
    target_groups: tuple = ("umum",)
    contact_name: str = ""
    contact_phone: str = ""
    team_name: str = ""
    team_phone: str = ""
    status: str = "rencana"
    cancel_reason: str = ""
    previous_dates: tuple = field(default_factory=tuple)  # earlier dates of a postponed session, oldest first
    pemilih_pemula_cutoff: Optional[date] = None
    timezone_label: str = "WIB"


def format_day(d: date) -> str:
    """'Senin, 11 Mei 2026'."""
    return format_date(d, "EEEE, d MMMM y", locale="id")


def format_hours(start: time, end: time, tz_label: str = "WIB") -> str:
    """'08.00–12.00 WIB'."""
    return f"{start.hour:02d}.{start.minute:02d}–{end.hour:02d}.{end.minute:02d} {tz_label}".strip()


def format_days(first: date, last: Optional[date]) -> str:
    """One day, or 'Senin, 11 Mei 2026 s.d. Selasa, 12 Mei 2026'."""
    if last and last != first:
        return f"{format_day(first)} s.d. {format_day(last)}"
    return format_day(first)


def with_prefix(prefix: str, name: str) -> str:
    """'Kelurahan Meteseh' (a name that already starts with its kind keeps it once)."""
    return name if name.lower().startswith(prefix.lower()) else f"{prefix} {name}"


def place_line(a: AnnouncementInput, *, with_site: bool = True) -> str:
    """Site, address, RT/RW, desa and kecamatan, leaving out what the address already says."""
    parts = [a.site_name] if with_site else []
    address = (a.address or "").strip()
    if address:
        parts.append(address)
    if (a.rt or a.rw) and not re.search(r"\bRT\s*\d", " ".join([a.site_name] + parts), re.IGNORECASE):
        rt = f"{a.rt:03d}" if a.rt else "–"
        rw = f"{a.rw:03d}" if a.rw else "–"
        parts.append(f"RT {rt}/RW {rw}")
    lowered = address.lower()

    def named(prefixes, name):
        return any(f"{p} {name.lower()}" in lowered for p in prefixes)

    if a.desa_name and not named(("kel.", "kelurahan", "desa", "ds."), a.desa_name):
        parts.append(with_prefix("Kelurahan" if a.desa_kind == "kelurahan" else "Desa", a.desa_name))
    if a.kecamatan_name and not named(("kec.", "kecamatan"), a.kecamatan_name):
        parts.append(with_prefix("Kecamatan", a.kecamatan_name))
    return ", ".join(parts)


def _title(a: AnnouncementInput) -> str:
    what = {"perekaman": "PEREKAMAN E-KTP KELILING (JEMPUT BOLA)",
            "sosialisasi": "SOSIALISASI PEREKAMAN E-KTP",
            "keduanya": "SOSIALISASI DAN PEREKAMAN E-KTP KELILING (JEMPUT BOLA)"}.get(a.kind, "PEREKAMAN E-KTP")
    return f"*{what}*"


def who_should_come(a: AnnouncementInput) -> list[str]:
    """The groups invited, one line each."""
    groups = list(a.target_groups or ()) or ["umum"]
    lines = []
    if "umum" in groups:
        lines.append("Warga wajib KTP (berusia 17 tahun ke atas, atau belum 17 tahun tetapi sudah/pernah "
                     "menikah) yang BELUM melakukan perekaman E-KTP")
    if "pemilih_pemula" in groups:
        when = (f" paling lambat {format_date(a.pemilih_pemula_cutoff, 'd MMMM y', locale='id')}"
                if a.pemilih_pemula_cutoff else " pada hari pemungutan suara")
        if a.site_type == "sekolah":
            lines.append(f"Siswa {a.site_name} yang sudah berusia 17 tahun atau akan genap 17 tahun{when} "
                         "(pemilih pemula) dan belum rekam E-KTP")
        else:
            lines.append(f"Pemilih pemula: remaja yang sudah berusia 17 tahun atau akan genap 17 tahun{when} "
                         "dan belum rekam E-KTP")
    if "lansia_disabilitas" in groups:
        if a.site_type == "rumah":
            lines.append("Lansia, penyandang disabilitas, dan warga sakit: petugas datang ke rumah; "
                         "mohon keluarga mendampingi")
        else:
            lines.append("Lansia, penyandang disabilitas, dan warga sakit yang tidak dapat datang: daftarkan "
                         "kepada ketua RT/RW atau narahubung agar petugas datang ke rumah")
    if a.kind == "sosialisasi":
        lines.append("Ketua RT/RW, kader, tokoh masyarakat, dan warga yang ingin mengetahui cara perekaman E-KTP")
    return lines


def what_to_bring(a: AnnouncementInput) -> list[str]:
    """Documents to bring, one line each (nothing for an awareness meeting)."""
    if a.kind not in RECORDING_KINDS:
        return []
    groups = list(a.target_groups or ()) or ["umum"]
    lines = ["Kartu Keluarga (KK) asli atau fotokopi KK"]
    if "pemilih_pemula" in groups:
        lines.append("Pemilih pemula: kartu pelajar atau surat keterangan dari sekolah")
    if "umum" in groups:
        lines.append("Yang belum 17 tahun tetapi sudah menikah: buku nikah/akta perkawinan (asli atau fotokopi)")
    lines.append("Bila pernah rekam di daerah lain atau tidak yakin sudah terdaftar: surat pindah "
                 "atau dokumen kependudukan lain yang dimiliki")
    return lines


def for_calendar(a: AnnouncementInput) -> AnnouncementInput:
    """The facts a team's calendar link may carry: a link gets forwarded, so it keeps the place, the days and
    hours, the desa, who should come and what to bring, and leaves out contact names and phones. A home visit
    is named by its RT/RW only: its site name and address say who lives there and why (age, illness), and
    its cancel reason may too. The signed-in session page still shows all of it."""
    changes = dict(contact_name="", contact_phone="", team_name="", team_phone="")
    if a.site_type == "rumah":
        rt_rw = f" RT {a.rt:03d}/RW {a.rw:03d}" if a.rt and a.rw else ""
        changes.update(site_name=f"Rumah warga{rt_rw}", address="", cancel_reason="")
    return replace(a, **changes)


def announcement_text(a: AnnouncementInput) -> str:
    """The announcement, ready to paste into WhatsApp."""
    lines: list[str] = []
    if a.status == "dibatalkan":
        lines += ["*PENGUMUMAN PEMBATALAN*",
                  f"Kegiatan di bawah ini DIBATALKAN{': ' + a.cancel_reason if a.cancel_reason else '.'}",
                  "Mohon maaf atas perubahan ini; jadwal pengganti akan diumumkan kembali.", ""]
    lines.append(_title(a))
    if a.kabupaten_name:
        lines.append(f"Dinas Kependudukan dan Pencatatan Sipil {a.kabupaten_name}")
    if a.status == "ditunda" and a.previous_dates:
        lines.append(f"*JADWAL BARU* (semula {format_day(a.previous_dates[-1])})")
    lines.append("")
    lines.append(f"*Hari/tanggal:* {format_days(a.date, a.end_date)}")
    lines.append(f"*Pukul:* {format_hours(a.start, a.end, a.timezone_label)}")
    label = "Kunjungan rumah" if a.site_type == "rumah" else "Tempat"
    lines.append(f"*{label}:* {place_line(a)}")
    lines.append("")
    lines.append("*Sasaran:*")
    lines += [f"- {line}" for line in who_should_come(a)]
    bring = what_to_bring(a)
    lines.append("")
    if bring:
        lines.append("*Yang perlu dibawa:*")
        lines += [f"- {line}" for line in bring]
    else:
        lines.append("Kegiatan ini sosialisasi; belum ada perekaman, tidak perlu membawa dokumen.")
    lines.append("")
    if a.kind in RECORDING_KINDS:
        lines.append("Layanan ini GRATIS, tidak dipungut biaya. Datanglah tepat waktu; petugas melayani sampai "
                     "jam selesai.")
    contacts = []
    if a.contact_name or a.contact_phone:
        contacts.append(" ".join(p for p in (a.contact_name, f"({a.contact_phone})" if a.contact_phone else "") if p))
    if a.team_name:
        contacts.append(" ".join(p for p in (a.team_name, f"({a.team_phone})" if a.team_phone else "") if p))
    if contacts:
        lines.append("Info: " + "; ".join(contacts))
    lines.append("Mohon bantu sebarkan informasi ini. Terima kasih.")
    return "\n".join(lines).strip() + "\n"
