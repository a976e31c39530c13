"""D-1 reminders: who is reminded of what, once, with the WhatsApp-ready texts."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from outreach.jobs.runner import run_job
from outreach.jobs.texts import SessionInfo, contact_reminder_text, team_reminder_text
from outreach.models.jobs import Notification
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")
SLOT = datetime(2026, 9, 15, 15, 0, tzinfo=WIB)  # D-1 for Wednesday 16 September
TOMORROW = date(2026, 9, 16)


def notes_of(db, user):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def arrange(world, db):
    b = builders
    w = world
    w.site1.contact_name, w.site1.contact_phone, w.site1.address = "Pak Lurah Satu", "081234567890", "Jl. Merdeka 1"
    w.second_field = b.make_user("field", "lapangan_dua", team=w.team)
    w.inactive_field = b.make_user("field", "lapangan_nonaktif", team=w.team)
    w.inactive_field.active = False
    w.team2 = b.make_team("33.74", "Tim Keliling 2")
    w.team2_field = b.make_user("field", "lapangan_tim2", team=w.team2)
    w.lonely_team = b.make_team("33.74", "Tim Tanpa Anggota")
    w.school = b.make_site(w.desa2.kode, "SMA Negeri Uji", type="sekolah")
    w.morning = b.make_session(w.site1, w.team, [w.kit], day=TOMORROW, start="08:00", end="12:00",
                               status="terkonfirmasi", expected_turnout=40, target_groups=["umum", "lansia_disabilitas"])
    w.afternoon = b.make_session(w.school, w.team, [w.kit], day=TOMORROW, start="13:00", end="15:30",
                                 target_groups=["pemilih_pemula"])
    w.multi_day = b.make_session(w.site2, w.team2, [], day=date(2026, 9, 14), end_date=TOMORROW,
                                 start="09:00", end="14:00", status="terkonfirmasi")
    w.cancelled = b.make_session(b.make_site(w.desa3.kode, "Balai Batal"), w.team, [], day=TOMORROW,
                                 start="16:00", end="18:00", status="dibatalkan", cancel_reason="hujan")
    w.day_after = b.make_session(b.make_site(w.desa1.kode, "Balai Lusa"), w.team, [], day=date(2026, 9, 17))
    w.lonely = b.make_session(b.make_site(w.desa1.kode, "Balai Sepi"), w.lonely_team, [], day=TOMORROW)
    db.session.commit()
    return w


def test_each_team_gets_its_next_day_sessions(world, db):
    w = arrange(world, db)
    outcome = run_job("reminders", SLOT, trigger="schedule")
    assert outcome.status == "done", outcome.error
    assert outcome.summary == {"date": "2026-09-16", "sessions": 4, "teams": 3, "notifications": 3, "emails": 0,
                               "teams_without_users": ["Tim Tanpa Anggota"]}
    (note,) = notes_of(db, w.users["field"])
    assert note.kind == "reminder" and note.title == "Pengingat: 2 sesi besok, Rabu, 16 September 2026"
    body = note.body
    assert body.index("Balai Kelurahan Satu A") < body.index("SMA Negeri Uji")  # in start order
    assert "*08.00–12.00 WIB* · Balai Kelurahan Satu A" in body and "*13.00–15.30 WIB* · SMA Negeri Uji" in body
    assert "Kontak: Pak Lurah Satu (081234567890)" in body and "Kit: KIT-A · perkiraan hadir: 40 orang" in body
    assert "Balai Batal" not in body and "Balai Lusa" not in body and "Balai Sepi" not in body
    # the texts for the site contacts, ready to forward
    assert "Yth. Bapak/Ibu Pak Lurah Satu," in body
    assert "Yth. Bapak/Ibu pengelola SMA Negeri Uji," in body and "pemilih pemula" in body
    assert [n.title for n in notes_of(db, w.second_field)] == [note.title]
    assert notes_of(db, w.inactive_field) == []
    (team2_note,) = notes_of(db, w.team2_field)
    assert "(hari ke-3 dari 3)" in team2_note.body and "Balai Kelurahan Dua A" in team2_note.body
    assert notes_of(db, w.users["coordinator"]) == [] and notes_of(db, w.users["manager"]) == []


def test_the_same_day_is_reminded_once(world, db):
    w = arrange(world, db)
    run_job("reminders", SLOT)
    assert run_job("reminders", SLOT).status == "skipped"
    manual = run_job("reminders", SLOT.replace(hour=17, minute=3), trigger="manual")  # another slot, same day
    assert manual.status == "done" and manual.summary["notifications"] == 0
    assert len(notes_of(db, w.users["field"])) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 3


def test_no_sessions_tomorrow_no_reminders(world, db):
    outcome = run_job("reminders", SLOT)
    assert outcome.status == "done" and outcome.summary["sessions"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_texts_are_plain_and_complete():
    s = SessionInfo(id=1, date=date(2026, 9, 16), start=datetime(2026, 1, 1, 8).time(),
                    end=datetime(2026, 1, 1, 12).time(), site_nama="Balai RW 05", address="Jl. Melati",
                    desa_nama="Desa Uji", kecamatan_nama="Uji", kind="sosialisasi", target_groups=("umum",))
    team = team_reminder_text("Tim A", date(2026, 9, 16), [s])
    assert team.startswith("*Pengingat jadwal perekaman KTP-el besok*\nTim: Tim A\nRabu, 16 September 2026")
    assert "Jl. Melati, Desa Uji, Kec. Uji" in team and "Kit: -" in team
    named = SessionInfo(**{**vars(s), "address": "Jl. Mawar 2, Kel. Desa Uji, Kec. Uji, Kota Semarang"})
    assert "Jl. Mawar 2, Kel. Desa Uji, Kec. Uji, Kota Semarang\n" in team_reminder_text("Tim A", date(2026, 9, 16),
                                                                                           [named])
    contact = contact_reminder_text(s, date(2026, 9, 16))
    assert "tim sosialisasi KTP-el keliling" in contact and "fotokopi Kartu Keluarga" not in contact
