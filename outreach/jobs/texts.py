"""WhatsApp-ready reminder texts (no Flask). Always in Bahasa Indonesia: they go to teams, kades/lurah and schools."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Optional, Sequence

from babel.dates import format_date
from babel.numbers import format_decimal

KIND_TEXT = {"perekaman": "perekaman KTP-el", "sosialisasi": "sosialisasi KTP-el",
             "keduanya": "perekaman dan sosialisasi KTP-el"}
GROUP_TEXT = {"pemilih_pemula": "pemilih pemula (yang sudah atau akan berusia 17 tahun)",
              "umum": "warga umum",
              "lansia_disabilitas": "lansia, penyandang disabilitas, dan warga sakit (kunjungan rumah)"}


@dataclass(frozen=True)
class SessionInfo:
    """The facts a reminder needs about one session, read from the database by the job."""
    id: int
    date: date
    start: time
    end: time
    site_nama: str
    end_date: Optional[date] = None
    site_type: str = ""
    address: str = ""
    desa_nama: str = ""
    kecamatan_nama: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    kits: Sequence[str] = field(default_factory=tuple)
    expected_turnout: int = 0
    kind: str = "perekaman"
    target_groups: Sequence[str] = field(default_factory=tuple)
    team_nama: str = ""


def day_label(day: date) -> str:
    """'Rabu, 16 September 2026'."""
    return format_date(day, "EEEE, d MMMM y", locale="id")


def time_range(start: time, end: time, zone: str = "WIB") -> str:
    return f"{start:%H.%M}–{end:%H.%M} {zone}".strip()


def number(n: int) -> str:
    return format_decimal(n, locale="id")


def day_of(session: SessionInfo, day: date) -> str:
    """'' for a one-day session, else '(hari ke-2 dari 3)'."""
    if not session.end_date or session.end_date == session.date:
        return ""
    total = (session.end_date - session.date).days + 1
    return f" (hari ke-{(day - session.date).days + 1} dari {total})"


def place(session: SessionInfo) -> str:
    """Address, then the desa and kecamatan unless the address names them already."""
    address = session.address.strip()
    parts = [address] if address else []
    for name, label in ((session.desa_nama, session.desa_nama), (session.kecamatan_nama,
                                                                    f"Kec. {session.kecamatan_nama}")):
        if name and name.lower() not in address.lower():
            parts.append(label)
    return ", ".join(parts)


def team_reminder_text(team_nama: str, day: date, sessions: Sequence[SessionInfo], zone: str = "WIB") -> str:
    """The team's D-1 message: every session of `day`, in start order."""
    lines = [f"*Pengingat jadwal {KIND_TEXT['perekaman']} besok*", f"Tim: {team_nama}", day_label(day), ""]
    for i, s in enumerate(sorted(sessions, key=lambda s: (s.start, s.id)), start=1):
        lines.append(f"{i}. *{time_range(s.start, s.end, zone)}*{day_of(s, day)} · {s.site_nama}")
        if place(s):
            lines.append(f"   {place(s)}")
        if s.contact_name or s.contact_phone:
            contact = " ".join(p for p in (s.contact_name, f"({s.contact_phone})" if s.contact_phone else "") if p)
            lines.append(f"   Kontak: {contact}")
        what = KIND_TEXT.get(s.kind, s.kind)
        groups = ", ".join(GROUP_TEXT.get(g, g).split(" (")[0] for g in s.target_groups)
        lines.append(f"   Kegiatan: {what}" + (f" · sasaran: {groups}" if groups else ""))
        kit_line = f"   Kit: {', '.join(s.kits) if s.kits else '-'}"
        if s.expected_turnout:
            kit_line += f" · perkiraan hadir: {number(s.expected_turnout)} orang"
        lines.append(kit_line)
    lines += ["", "Mohon periksa kit (kamera, pemindai sidik jari dan iris, alat tanda tangan), baterai, dan "
                  "jaringan sebelum berangkat. Setelah sesi selesai, segera isi log hasil perekaman."]
    return "\n".join(lines)


def contact_reminder_text(session: SessionInfo, day: date, zone: str = "WIB") -> str:
    """The message for the site's contact (kades/lurah, RT/RW, school) to pass on to residents."""
    greeting = f"Yth. Bapak/Ibu {session.contact_name}," if session.contact_name else \
        f"Yth. Bapak/Ibu pengelola {session.site_nama},"
    where = f"*{session.site_nama}*" + (f", {session.address}" if session.address else "")
    lines = [greeting,
             f"Mengingatkan bahwa besok, *{day_label(day)}*, pukul *{time_range(session.start, session.end, zone)}*, "
             f"tim {KIND_TEXT.get(session.kind, session.kind)} keliling Dinas Kependudukan dan Pencatatan Sipil "
             f"akan hadir di {where}{day_of(session, day)}."]
    if session.target_groups:
        lines.append("Sasaran: " + "; ".join(GROUP_TEXT.get(g, g) for g in session.target_groups) + ".")
    if session.kind != "sosialisasi":
        lines.append("Mohon diumumkan kepada warga yang belum merekam KTP-el (WNI berusia 17 tahun ke atas atau "
                     "sudah/pernah menikah) agar hadir dengan membawa fotokopi Kartu Keluarga (KK).")
    lines.append("Terima kasih.")
    return "\n".join(lines)


def reminder_body(team_nama: str, day: date, sessions: Sequence[SessionInfo], zone: str = "WIB") -> str:
    """Notification body: the team's text, then one text per site contact, ready to copy."""
    parts = [team_reminder_text(team_nama, day, sessions, zone)]
    for s in sorted(sessions, key=lambda s: (s.start, s.id)):
        parts.append(f"--- Teks untuk kontak lokasi: {s.site_nama} ---\n{contact_reminder_text(s, day, zone)}")
    return "\n\n".join(parts)


ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_label(tz_key: str) -> str:
    return ZONE_NAMES.get(tz_key, "")
