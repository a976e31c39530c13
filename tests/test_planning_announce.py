"""The WhatsApp-ready announcement: plain Python, Bahasa Indonesia, Indonesian dates."""
from datetime import date, time

from outreach.planning.announce import AnnouncementInput, announcement_text, place_line, what_to_bring

BASE = dict(site_name="Balai Kelurahan Meteseh", date=date(2026, 5, 11), start=time(8), end=time(12),
            address="Jl. Meteseh Raya No. 41", desa_name="Meteseh", desa_kind="kelurahan",
            kecamatan_name="Tembalang", kabupaten_name="Kota Semarang", contact_name="Ibu Retno (Lurah)",
            contact_phone="0812-0000-2685", team_name="Tim Keliling 1", team_phone="0812-0000-7616")


def text(**kw) -> str:
    return announcement_text(AnnouncementInput(**{**BASE, **kw}))


def test_general_recording_says_when_where_who_and_what_to_bring():
    t = text()
    assert "*PEREKAMAN E-KTP KELILING (JEMPUT BOLA)*" in t
    assert "Dinas Kependudukan dan Pencatatan Sipil Kota Semarang" in t
    assert "*Hari/tanggal:* Senin, 11 Mei 2026" in t
    assert "*Pukul:* 08.00–12.00 WIB" in t
    assert ("*Tempat:* Balai Kelurahan Meteseh, Jl. Meteseh Raya No. 41, Kelurahan Meteseh, Kecamatan Tembalang"
            in t)
    assert "Warga wajib KTP (berusia 17 tahun ke atas" in t and "BELUM melakukan perekaman" in t
    assert "Kartu Keluarga (KK) asli atau fotokopi KK" in t
    assert "buku nikah" in t and "GRATIS" in t
    assert "Info: Ibu Retno (Lurah) (0812-0000-2685); Tim Keliling 1 (0812-0000-7616)" in t
    assert "kartu pelajar" not in t


def test_school_visit_for_pemilih_pemula_over_two_days():
    t = text(site_name="SMA Negeri 9 Semarang", site_type="sekolah", kind="keduanya", target_groups=("pemilih_pemula",),
             end_date=date(2026, 5, 12), pemilih_pemula_cutoff=date(2029, 2, 14))
    assert "*SOSIALISASI DAN PEREKAMAN E-KTP KELILING (JEMPUT BOLA)*" in t
    assert "Senin, 11 Mei 2026 s.d. Selasa, 12 Mei 2026" in t
    assert "Siswa SMA Negeri 9 Semarang yang sudah berusia 17 tahun atau akan genap 17 tahun paling lambat " \
           "14 Februari 2029" in t
    assert "kartu pelajar atau surat keterangan dari sekolah" in t
    assert "Warga wajib KTP" not in t


def test_awareness_meeting_asks_for_no_documents():
    a = AnnouncementInput(**{**BASE, "kind": "sosialisasi"})
    assert what_to_bring(a) == []
    t = announcement_text(a)
    assert "*SOSIALISASI PEREKAMAN E-KTP*" in t and "tidak perlu membawa dokumen" in t
    assert "Ketua RT/RW" in t and "GRATIS" not in t


def test_home_visit_for_the_elderly():
    t = text(site_name="Rumah Ibu S.", site_type="rumah", address="", rt=7, rw=9,
             target_groups=("lansia_disabilitas",))
    assert "*Kunjungan rumah:* Rumah Ibu S., RT 007/RW 009, Kelurahan Meteseh" in t
    assert "petugas datang ke rumah" in t


def test_postponed_and_cancelled_sessions_say_so():
    t = text(status="ditunda", date=date(2026, 5, 18), previous_dates=(date(2026, 5, 11),))
    assert "*JADWAL BARU* (semula Senin, 11 Mei 2026)" in t and "Senin, 18 Mei 2026" in t
    t = text(status="dibatalkan", cancel_reason="balai dipakai hajatan warga")
    assert t.startswith("*PENGUMUMAN PEMBATALAN*\nKegiatan di bawah ini DIBATALKAN: balai dipakai hajatan warga")


def test_place_does_not_repeat_what_the_address_says():
    a = AnnouncementInput(**{**BASE, "address": "Jl. Bulusan No. 2, Kel. Meteseh, Kec. Tembalang", "rt": 3, "rw": 5})
    assert place_line(a) == "Balai Kelurahan Meteseh, Jl. Bulusan No. 2, Kel. Meteseh, Kec. Tembalang, RT 003/RW 005"
    a = AnnouncementInput(**{**BASE, "address": "Balai RW, RT 01/RW 04", "rt": 1, "rw": 4, "desa_kind": "desa"})
    assert place_line(a) == ("Balai Kelurahan Meteseh, Balai RW, RT 01/RW 04, Desa Meteseh, Kecamatan Tembalang")
