"""The confirmation loop with a site's contact: signed link (tamper, old nonce, expiry, cancelled: 404), each
answer's effect, the proposed date's checks, scope, the WhatsApp URL, the e-mail copy, the reminder job."""
import email
import re
import socket
from datetime import date, datetime, timedelta
from email.policy import default as default_policy
from types import SimpleNamespace
from urllib.parse import quote, unquote

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from outreach.jobs.runner import run_job
from outreach.models import RecordingSession
from outreach.models.audit import AuditEntry
from outreach.models.jobs import Notification
from outreach.planning import confirmation
from tests import builders
from tests.conftest import WIB

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=WIB)  # Monday; the session is the next Monday
DAY = date(2026, 12, 14)
pytestmark = pytest.mark.at(NOW)


@pytest.fixture()
def pw(world):
    w = builders.make_planning_world(world)
    w.school.contact_name = "Bu Sari"
    w.school.contact_phone = "0812-3456 7890"
    w.session = builders.make_session(w.school, w.team, [w.kit], day=DAY, start="08:00", end="12:00",
                                      target_groups=["pemilih_pemula"])
    w.other = builders.make_session(w.site2, w.team, [w.kit], day=DAY + timedelta(days=1))  # kecamatan 2
    builders.db.session.commit()
    return w


def ask(client, login_as, session_id, **data):
    login_as("coordinator")
    return client.post(f"/sesi/{session_id}/konfirmasi-lokasi", data=data)


def link_from_page(client, session_id) -> str:
    page = client.get(f"/sesi/{session_id}").get_data(as_text=True)
    match = re.search(r'id="confirmation-link" type="text" readonly value="([^"]+)"', page)
    assert match, "no confirmation link on the session page"
    return match.group(1).replace("&amp;", "&")


def path_of(url: str) -> str:
    return url[url.index("/konfirmasi/"):]


def fresh(db, session_id) -> RecordingSession:
    db.session.expire_all()
    return db.session.get(RecordingSession, session_id)


# ---------------------------------------------------------------- asking

def test_asking_makes_a_signed_link_the_contact_opens_without_login(client, login_as, pw, db):
    resp = ask(client, login_as, pw.session.id)
    assert resp.status_code == 302 and resp.location.endswith(f"/sesi/{pw.session.id}#konfirmasi-lokasi")
    s = fresh(db, pw.session.id)
    assert s.confirmation_status == "diminta" and len(s.confirmation_nonce) == 32
    assert s.confirmation_requested_at is not None
    page = client.get(f"/sesi/{s.id}").get_data(as_text=True)
    assert "Konfirmasi diminta" in page and "Kirim lewat WhatsApp" in page and "Sudah dikirim" in page
    url = link_from_page(client, s.id)
    audit = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity_id == str(s.id))).all()
    assert "confirmation:request" in audit

    client.post("/logout")
    public = client.get(path_of(url))
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert "SMA Negeri Uji" in text and "Sen, 14 Des 2026" in text and "08.00–12.00" in text
    assert "Kirim jawaban" in text and "bootstrap" not in text.lower()
    assert public.headers["Cache-Control"] == "no-store"


def test_whatsapp_button_marks_the_request_sent(client, login_as, pw, db):
    ask(client, login_as, pw.session.id)
    resp = client.post(f"/sesi/{pw.session.id}/konfirmasi-lokasi/terkirim")
    assert resp.status_code == 302
    assert fresh(db, pw.session.id).confirmation_status == "menunggu"
    page = client.get(f"/sesi/{pw.session.id}").get_data(as_text=True)
    assert "Menunggu balasan" in page and "Sudah dikirim" not in page


def test_tampered_token_is_a_plain_404(client, login_as, pw, db):
    ask(client, login_as, pw.session.id)
    path = path_of(link_from_page(client, pw.session.id))
    client.post("/logout")
    token = path.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (tampered, "abc", "x" * 400, token.split(".")[0]):
        assert client.get(f"/konfirmasi/{bad}").status_code == 404
    assert client.post(f"/konfirmasi/{tampered}", data={"answer": "tolak"}).status_code == 404
    assert fresh(db, pw.session.id).confirmation_status == "diminta"


def test_asking_again_kills_the_old_link(client, login_as, pw):
    ask(client, login_as, pw.session.id)
    old = path_of(link_from_page(client, pw.session.id))
    ask(client, login_as, pw.session.id)
    new = path_of(link_from_page(client, pw.session.id))
    client.post("/logout")
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_link_expires_after_the_sessions_last_day(app, client, login_as, pw, db):
    ask(client, login_as, pw.session.id)
    path = path_of(link_from_page(client, pw.session.id))
    with app.app_context():
        token = path.rsplit("/", 1)[1]
        assert confirmation.verify(token, today=DAY) is not None
        assert confirmation.verify(token, today=DAY + timedelta(days=1)) is None


@pytest.mark.at(datetime(2026, 12, 14, 23, 30, tzinfo=WIB))
def test_link_still_opens_late_on_the_last_day_but_takes_no_answer(client, login_as, pw, db):
    s = fresh(db, pw.session.id)
    link = confirmation.request_confirmation(s, pw.users["coordinator"], datetime(2026, 12, 7, 9, 0, tzinfo=WIB))
    page = client.get(link.path)
    assert page.status_code == 200 and "Jadwal sudah dimulai" in page.get_data(as_text=True)
    assert client.post(link.path, data={"answer": "tolak"}).status_code == 422


@pytest.mark.at(datetime(2026, 12, 15, 0, 5, tzinfo=WIB))
def test_link_is_404_just_after_the_last_day_in_wib(client, pw, db):
    s = fresh(db, pw.session.id)
    s.confirmation_status, s.confirmation_nonce = "menunggu", "a" * 32
    db.session.commit()
    token = confirmation.make_token(s)
    assert client.get(f"/konfirmasi/{token}").status_code == 404


def test_cancelled_session_link_is_404(client, login_as, pw, db):
    ask(client, login_as, pw.session.id)
    path = path_of(link_from_page(client, pw.session.id))
    s = fresh(db, pw.session.id)
    s.status, s.cancel_reason = "dibatalkan", "banjir"
    db.session.commit()
    client.post("/logout")
    assert client.get(path).status_code == 404


def test_cannot_ask_for_a_cancelled_session(client, login_as, pw, db):
    s = fresh(db, pw.session.id)
    s.status, s.cancel_reason = "dibatalkan", "banjir"
    db.session.commit()
    ask(client, login_as, s.id)
    assert fresh(db, s.id).confirmation_status is None


# ---------------------------------------------------------------- answers

def answered(client, login_as, pw, db, **data):
    ask(client, login_as, pw.session.id)
    path = path_of(link_from_page(client, pw.session.id))
    client.post("/logout")
    return path, client.post(path, data=data)


def coordinator_notes(db, pw):
    return db.session.scalars(sa.select(Notification).where(
        Notification.user_id == pw.users["coordinator"].id, Notification.kind == "confirmation")).all()


def test_konfirmasi_confirms_a_planned_session(client, login_as, pw, db):
    path, resp = answered(client, login_as, pw, db, answer="konfirmasi", note="Aula siap")
    assert resp.status_code == 200
    assert "Terima kasih" in resp.get_data(as_text=True) and "Dikonfirmasi pihak lokasi" in resp.get_data(as_text=True)
    s = fresh(db, pw.session.id)
    assert (s.status, s.confirmation_status, s.confirmed_with) == ("terkonfirmasi", "terkonfirmasi",
                                                                    "Pihak lokasi (tautan)")
    assert s.confirmed_at is not None and s.confirmation_answered_at is not None
    assert s.confirmation_note == "Aula siap" and s.confirmation_proposed_date is None
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "confirmation:answer")).all()
    assert len(audit) == 1 and audit[0].user_id is None and audit[0].changes["status"] == ["rencana", "terkonfirmasi"]
    login_as("coordinator")
    page = client.get(f"/sesi/{s.id}").get_data(as_text=True)
    assert "Dikonfirmasi pihak lokasi" in page and "Aula siap" in page


def test_jadwal_ulang_keeps_the_session_planned_and_tells_the_coordinator(client, login_as, pw, db):
    path, resp = answered(client, login_as, pw, db, answer="jadwal_ulang", proposed_date="2026-12-21",
                          note="Ada ujian semester")
    assert resp.status_code == 200
    s = fresh(db, pw.session.id)
    assert (s.status, s.confirmation_status) == ("rencana", "jadwal_ulang")
    assert s.confirmation_proposed_date == date(2026, 12, 21) and s.confirmation_note == "Ada ujian semester"
    notes = coordinator_notes(db, pw)
    assert len(notes) == 1 and notes[0].title.startswith("Minta jadwal ulang: SMA Negeri Uji")
    assert "Sen, 21 Des 2026" in notes[0].body and "Ada ujian semester" in notes[0].body
    assert notes[0].link == f"/sesi/{s.id}"
    # The contact changes the answer (until the session starts): it is recorded and told again.
    resp = client.post(path, data={"answer": "tolak", "note": "Aula dipakai"})
    assert resp.status_code == 200
    s = fresh(db, pw.session.id)
    assert (s.status, s.confirmation_status, s.confirmation_proposed_date) == ("rencana", "ditolak", None)
    assert len(coordinator_notes(db, pw)) == 2


def test_tolak_leaves_the_session_and_shows_on_the_session_page(client, login_as, pw, db):
    _path, resp = answered(client, login_as, pw, db, answer="tolak", note="Sekolah libur")
    assert resp.status_code == 200
    s = fresh(db, pw.session.id)
    assert (s.status, s.confirmation_status) == ("rencana", "ditolak")
    assert coordinator_notes(db, pw)
    login_as("coordinator")
    page = client.get(f"/sesi/{s.id}").get_data(as_text=True)
    assert "Ditolak pihak lokasi" in page and "Sekolah libur" in page


@pytest.mark.parametrize("data, field, message", [
    ({"answer": "jadwal_ulang"}, "proposed_date", "Isi tanggal lain yang diusulkan."),
    ({"answer": "jadwal_ulang", "proposed_date": "2026-12-07"}, "proposed_date", "harus sesudah hari ini"),
    ({"answer": "jadwal_ulang", "proposed_date": "2026-12-01"}, "proposed_date", "harus sesudah hari ini"),
    ({"answer": "jadwal_ulang", "proposed_date": "kemarin"}, "proposed_date", "tidak valid"),
    ({"answer": "jadwal_ulang", "proposed_date": "2029-01-01"}, "proposed_date", "satu tahun"),
    ({"answer": "mungkin"}, "answer", "Pilih jawaban"),
    ({}, "answer", "Pilih jawaban"),
    ({"answer": "tolak", "note": "x" * 501}, "note", "paling panjang 500"),
])
def test_bad_answers_are_refused_with_a_message(client, login_as, pw, db, data, field, message):
    _path, resp = answered(client, login_as, pw, db, **data)
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert fresh(db, pw.session.id).confirmation_status == "diminta"


def test_answer_rules_directly(app, pw, db):
    s = fresh(db, pw.session.id)
    confirmation.request_confirmation(s, pw.users["coordinator"], NOW)
    assert confirmation.check_answer("jadwal_ulang", date(2026, 12, 8), "", date(2026, 12, 7)) == {}
    started = datetime(2026, 12, 14, 8, 0, tzinfo=WIB)
    assert confirmation.can_answer(s, started - timedelta(minutes=1)) and not confirmation.can_answer(s, started)


# ---------------------------------------------------------------- scope

def test_coordinator_of_another_kecamatan_gets_404(client, login_as, pw, db):
    other = builders.make_user("coordinator", "koordinator_dua", scope="33.74.02")
    db.session.commit()
    client.post("/login", data={"username": other.username, "password": builders.PASSWORD})
    assert client.post(f"/sesi/{pw.session.id}/konfirmasi-lokasi").status_code == 404
    assert client.post(f"/sesi/{pw.session.id}/konfirmasi-lokasi/terkirim").status_code == 404
    assert fresh(db, pw.session.id).confirmation_status is None
    # and the page of their own session offers the button
    assert "Minta konfirmasi" in client.get(f"/sesi/{pw.other.id}").get_data(as_text=True)


def test_managers_and_field_users_cannot_ask(client, login_as, pw, db):
    for role in ("manager", "field"):
        login_as(role)
        assert client.post(f"/sesi/{pw.session.id}/konfirmasi-lokasi").status_code == 403
    login_as("manager")
    assert "Minta konfirmasi" not in client.get(f"/sesi/{pw.session.id}").get_data(as_text=True)


# ---------------------------------------------------------------- the WhatsApp URL

@pytest.mark.parametrize("raw, expected", [
    ("0812-3456 7890", "6281234567890"), ("+62 812 3456 7890", "6281234567890"), ("6281234567890", "6281234567890"),
    ("812 3456 7890", "6281234567890"), ("(024) 7601234", "62247601234"), ("", None), (None, None), ("12345", None),
    ("tidak ada", None),
])
def test_phone_numbers_are_normalised_for_wa_me(raw, expected):
    assert confirmation.normalise_phone(raw) == expected


def test_whatsapp_url_carries_the_text_and_the_link(app, pw, db):
    s = fresh(db, pw.session.id)
    with app.test_request_context("/"):
        link = confirmation.request_confirmation(s, pw.users["coordinator"], NOW)
    assert link.whatsapp_url.startswith("https://wa.me/6281234567890?text=")
    encoded = link.whatsapp_url.split("?text=", 1)[1]
    assert " " not in encoded and "\n" not in encoded and quote(link.url, safe="") in encoded
    text = unquote(encoded)
    assert text == link.text
    assert "Yth. Bu Sari" in text and "SMA Negeri Uji" in text and "Sen, 14 Des 2026" in text
    assert "08.00–12.00 WIB" in text and "Daftar siswa" in text and "Kartu Keluarga" in text
    assert link.url in text and link.url.startswith("http://localhost/konfirmasi/")


def test_whatsapp_url_without_a_usable_number_lets_the_coordinator_pick(app, pw, db):
    pw.school.contact_phone = ""
    db.session.commit()
    with app.test_request_context("/"):
        link = confirmation.request_confirmation(fresh(db, pw.session.id), pw.users["coordinator"], NOW)
    assert link.whatsapp_url.startswith("https://wa.me/?text=")


# ---------------------------------------------------------------- e-mail

class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture()
def smtp(app, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    yield SimpleNamespace(messages=handler.messages)
    controller.stop()


def test_email_is_sent_when_smtp_is_set_and_the_request_waits_at_once(client, login_as, pw, db, smtp):
    resp = ask(client, login_as, pw.session.id, email="tu@smauji.sch.id")
    assert resp.status_code == 302
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "tu@smauji.sch.id" and "SMA Negeri Uji" in msg["Subject"]
    body = msg.get_content()
    assert "/konfirmasi/" in body and "Sen, 14 Des 2026" in body
    assert fresh(db, pw.session.id).confirmation_status == "menunggu"


def test_email_without_smtp_keeps_the_link_and_says_why(client, login_as, pw, db):
    ask(client, login_as, pw.session.id, email="tu@smauji.sch.id")
    assert fresh(db, pw.session.id).confirmation_status == "diminta"
    assert "Server e-mail belum diatur" in client.get(f"/sesi/{pw.session.id}").get_data(as_text=True)


def test_a_bad_email_is_refused(client, login_as, pw, db):
    ask(client, login_as, pw.session.id, email="bukan-email")
    assert fresh(db, pw.session.id).confirmation_status is None
    assert "Alamat e-mail tidak valid" in client.get(f"/sesi/{pw.session.id}").get_data(as_text=True)


# ---------------------------------------------------------------- the reminder job

def test_reminder_job_tells_the_coordinators_once(app, pw, db):
    coordinator = pw.users["coordinator"]
    s = fresh(db, pw.session.id)
    confirmation.request_confirmation(s, coordinator, NOW - timedelta(days=3))
    recent = builders.make_session(pw.site1, pw.team, [], day=DAY + timedelta(days=2))
    answered_one = builders.make_session(pw.site3, pw.team, [], day=DAY + timedelta(days=3))
    past = builders.make_session(pw.site1, pw.team, [], day=date(2026, 12, 4))
    db.session.commit()
    confirmation.request_confirmation(recent, coordinator, NOW - timedelta(days=1))
    confirmation.request_confirmation(answered_one, coordinator, NOW - timedelta(days=4))
    confirmation.answer(answered_one, "konfirmasi", None, "", NOW - timedelta(days=3))
    past.confirmation_status, past.confirmation_nonce = "menunggu", "b" * 32
    past.confirmation_requested_at = NOW - timedelta(days=5)
    db.session.commit()

    outcome = run_job("confirmation_reminders", NOW, trigger="schedule")
    assert outcome.status == "done", outcome.error
    assert outcome.summary["session_ids"] == [s.id]
    notes = db.session.scalars(sa.select(Notification).where(Notification.ref.like("confirmation-reminder:%"))).all()
    assert [(n.user_id, n.ref) for n in notes] == [(coordinator.id, f"confirmation-reminder:{s.id}:"
                                                    f"{fresh(db, s.id).confirmation_nonce}")]
    assert "Belum ada jawaban lokasi: SMA Negeri Uji" in notes[0].title and "lebih dari 2 hari" in notes[0].body
    assert fresh(db, s.id).confirmation_reminded_at is not None

    again = run_job("confirmation_reminders", NOW + timedelta(days=2))  # the 08.00 slot, 2 days on
    assert again.summary["session_ids"] == [recent.id]  # asked 2 days before that slot; s is not told twice
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.ref.like(f"confirmation-reminder:{s.id}:%"))) == 1
