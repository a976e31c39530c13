"""The confirmation loop with a site's contact: a signed link the contact opens without logging in.

    diminta ──► menunggu ──► terkonfirmasi / jadwal_ulang / ditolak   (outreach.vocab.CONFIRMATION_STATUSES)

- `request_confirmation` makes a fresh nonce (asking again kills the old link), the signed public link,
  its WhatsApp click-to-chat URL (nothing is sent by the server) and, where SMTP is set and an e-mail
  address is given, mails the same text (the status is then "menunggu" at once).
- `mark_sent`: the coordinator sent the WhatsApp message (diminta → menunggu).
- `verify(token)`: the session of a signed link, or None (tampered, old nonce, session cancelled or
  finished, or the session's last day is over in the offices' zone): the public page then answers 404.
- `answer`: the contact's answer (CONFIRMATION_ANSWERS), changeable until the session starts. "konfirmasi"
  also confirms a planned (or postponed) session; "tolak" and "jadwal_ulang" leave it as planned and
  notify the kecamatan's coordinators.

Each write commits; request and answer leave an audit entry on the session. Callers check access
(views: queries.session_to_edit, which asks outreach.permissions).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional
from urllib.parse import quote

import sqlalchemy as sa
from babel.dates import format_date
from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm.exc import StaleDataError

from outreach import clock
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models.audit import AuditEntry, record_change
from outreach.models.planning import RecordingSession
from outreach.phones import whatsapp_number as normalise_phone
from outreach.planning import announce, workflow
from outreach.planning.errors import StaleSession, ValidationFailed
from outreach.planning.queries import AUDIT_ENTITY
from outreach.vocab import CONFIRMATION_ANSWERS, labels_of

SALT = "jemput-bola.konfirmasi-lokasi"
# A link older than this is refused whatever its session (a safeguard: links end with their session anyway).
LINK_MAX_AGE_SECONDS = 400 * 24 * 3600
TOKEN_MAX_CHARS = 300
NOTE_MAX_CHARS = 500
EMAIL_MAX_CHARS = 254
# How far ahead a contact may propose another date.
PROPOSED_DATE_MAX_DAYS = 366
# Sessions whose contact may be asked, and whose link still opens (cancelled and finished ones: 404).
ASKABLE_STATUSES = (workflow.RENCANA, workflow.TERKONFIRMASI, workflow.DITUNDA)
# What the session records as "confirmed with" when the contact confirms through the link.
CONFIRMED_WITH_LINK = "Pihak lokasi (tautan)"
WAITING = ("diminta", "menunggu")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Link:
    """A confirmation request's links: the public page (path and absolute URL) and WhatsApp's."""
    path: str
    url: str
    whatsapp_url: str
    text: str
    emailed: bool = False
    mail_error: str = ""


# ---------------------------------------------------------------- the signed link

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(session: RecordingSession) -> str:
    """The signed token of the session's current nonce (a new one each call; all valid while the nonce is)."""
    return _serializer().dumps({"s": session.id, "n": session.confirmation_nonce})


def public_path(token: str) -> str:
    """URL path of the public page of `token` (built without a request too: the jobs have none)."""
    if has_request_context():
        return url_for("confirmation.page", token=token)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build("confirmation.page", {"token": token})


def absolute_url(path: str) -> str:
    """PUBLIC_BASE_URL (or, in a request, the address the app was reached at) + path."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    return base + path


def link_of(session: RecordingSession) -> Optional[str]:
    """The absolute public link of the session's current request, or None when never asked."""
    if not session.confirmation_nonce:
        return None
    return absolute_url(public_path(make_token(session)))


def verify(token: str, today: Optional[date] = None) -> Optional[RecordingSession]:
    """The session a signed link stands for, or None: tampered, asked again since (old nonce), cancelled or
    finished, or expired (the session's last day is over in the offices' zone)."""
    if not token or len(token) > TOKEN_MAX_CHARS:
        return None
    try:
        payload = _serializer().loads(token, max_age=LINK_MAX_AGE_SECONDS)
    except BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int) or not payload.get("n"):
        return None
    session = db.session.get(RecordingSession, payload["s"])
    if session is None or not session.confirmation_nonce:
        return None
    if not secrets.compare_digest(str(payload["n"]), session.confirmation_nonce):
        return None
    if session.status not in ASKABLE_STATUSES:
        return None
    if (today or clock.local_today()) > session.last_date:
        return None
    return session


# ---------------------------------------------------------------- the message



def whatsapp_url(phone: Optional[str], text: str) -> str:
    """wa.me click-to-chat with the text prefilled; without a usable number WhatsApp lets the sender pick."""
    number = normalise_phone(phone)
    return f"https://wa.me/{number or ''}?text={quote(text, safe='')}"


def day_text(first: date, last: Optional[date] = None) -> str:
    """"Sen, 14 Des 2026" (or "Sen, 14 Des 2026 s.d. Rab, 16 Des 2026")."""
    one = format_date(first, "EEE, d MMM y", locale="id")
    if last and last != first:
        return f"{one} s.d. {format_date(last, 'EEE, d MMM y', locale='id')}"
    return one


def hours_text(start: time, end: time) -> str:
    """"08.00–12.00"."""
    return announce.format_hours(start, end, "").strip()


def preparations(site_type: str, kind: str, target_groups) -> list[str]:
    """What the site should prepare for the team, one line each (then what residents bring)."""
    lines = [_("Tempat yang teduh dengan meja, kursi, dan colokan listrik untuk alat perekam")]
    if site_type == "sekolah":
        lines.append(_("Daftar siswa yang sudah atau akan berusia 17 tahun dan belum rekam E-KTP"))
    elif site_type == "rumah":
        lines.append(_("Keluarga yang mendampingi warga yang akan direkam"))
    else:
        lines.append(_("Pengumuman kepada warga dan daftar warga yang belum rekam E-KTP"))
    inp = announce.AnnouncementInput(site_name="", date=date.min, start=time(0), end=time(1), site_type=site_type,
                                     kind=kind, target_groups=tuple(target_groups or ()))
    return lines + announce.what_to_bring(inp)


def message_text(session: RecordingSession, link: str) -> str:
    """The Indonesian text sent to the site's contact (WhatsApp or e-mail), with the signed link."""
    from outreach.planning.serialize import announcement_input

    inp = announcement_input(session)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "id")):
        contact = session.site.contact_name or _("Bapak/Ibu")
        lines = [_("Yth. %(contact)s,", contact=contact), "",
                 _("Dinas Dukcapil merencanakan perekaman E-KTP keliling (jemput bola) di %(place)s pada "
                   "%(day)s, pukul %(hours)s WIB.", place=announce.place_line(inp), day=day_text(session.date,
                                                                                           session.end_date),
                   hours=hours_text(session.start_time, session.end_time)), "",
                 _("Mohon disiapkan:")]
        lines += [f"- {line}" for line in preparations(session.site.type, session.kind, session.target_groups)]
        lines += ["", _("Mohon konfirmasi jadwal ini (bersedia, minta tanggal lain, atau tidak bersedia) melalui "
                        "tautan berikut:"), link, "", _("Terima kasih.")]
    return "\n".join(lines)


# ---------------------------------------------------------------- asking the contact

def check_askable(session: RecordingSession, today: date) -> dict[str, str]:
    """{field: message} when the contact of `session` cannot be asked now; empty when it can."""
    if session.status not in ASKABLE_STATUSES:
        return {"status": _("Konfirmasi hanya dapat diminta untuk sesi yang masih direncanakan.")}
    if today > session.last_date:
        return {"date": _("Sesi ini sudah lewat; konfirmasi tidak dapat diminta lagi.")}
    return {}


def parse_email(raw) -> Optional[str]:
    """The optional e-mail address of the contact; ValidationFailed when it is not one."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationFailed({"email": _("Alamat e-mail harus berupa teks.")})
    text = raw.strip()
    if not text:
        return None
    if len(text) > EMAIL_MAX_CHARS or not _EMAIL.match(text):
        raise ValidationFailed({"email": _("Alamat e-mail tidak valid (contoh: sekolah@contoh.sch.id).")})
    return text


def request_confirmation(session: RecordingSession, user, now: datetime, *, email=None) -> Link:
    """Ask the site's contact: status diminta, a fresh nonce (the old link stops working), the links; where
    SMTP is set and `email` given, the text is mailed too and the status is menunggu at once."""
    address = parse_email(email)
    errors = check_askable(session, now.astimezone(clock.local_tz()).date())
    if errors:
        raise ValidationFailed(errors)
    old = session.confirmation_status
    session.confirmation_status = "diminta"
    session.confirmation_nonce = secrets.token_hex(16)
    session.confirmation_requested_at = now
    session.confirmation_answered_at = None
    session.confirmation_reminded_at = None
    session.confirmation_proposed_date = None
    session.confirmation_note = ""
    record_change(AUDIT_ENTITY, session.id, "confirmation:request", getattr(user, "id", None),
                  {"confirmation_status": [old, "diminta"]}, reason=_("Dikirim juga ke %(email)s", email=address)
                  if address else "")
    _commit()
    path = public_path(make_token(session))
    url = absolute_url(path)
    text = message_text(session, url)
    emailed, mail_error = False, ""
    if address:
        emailed, mail_error = _mail(session, address, text)
        if emailed:
            _set_waiting(session, user, _("e-mail ke %(email)s", email=address))
    return Link(path=path, url=url, whatsapp_url=whatsapp_url(session.site.contact_phone, text), text=text,
                emailed=emailed, mail_error=mail_error)


def _mail(session: RecordingSession, address: str, text: str) -> tuple[bool, str]:
    """(sent, why not) for the e-mail copy of the request."""
    from outreach.jobs.mail import MailError, MailSettings, OutgoingMail, send_all

    settings = MailSettings.from_config(current_app.config)
    if settings is None:
        return False, _("Server e-mail belum diatur; kirim tautan lewat WhatsApp.")
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "id")):
        subject = _("Konfirmasi jadwal perekaman E-KTP: %(site)s, %(day)s", site=session.site.nama,
                    day=day_text(session.date, session.end_date))
    try:
        send_all(settings, [OutgoingMail(to=address, subject=subject, body=text)])
    except MailError as exc:
        current_app.logger.warning("confirmation e-mail for session %s failed: %s", session.id, exc)
        return False, _("E-mail tidak terkirim (server e-mail gagal); kirim tautan lewat WhatsApp.")
    return True, ""


def mark_sent(session: RecordingSession, user, now: Optional[datetime] = None) -> bool:
    """The coordinator sent the link (WhatsApp): diminta → menunggu. False when there was nothing to mark."""
    if session.confirmation_status != "diminta" or session.status not in ASKABLE_STATUSES:
        return False
    _set_waiting(session, user, _("WhatsApp"))
    return True


def _set_waiting(session: RecordingSession, user, how: str) -> None:
    record_change(AUDIT_ENTITY, session.id, "confirmation:sent", getattr(user, "id", None),
                  {"confirmation_status": [session.confirmation_status, "menunggu"]}, reason=how)
    session.confirmation_status = "menunggu"
    _commit()


# ---------------------------------------------------------------- the contact's answer

def session_start(session: RecordingSession) -> datetime:
    """When the session's first day starts, in the offices' zone."""
    return datetime.combine(session.date, session.start_time, tzinfo=clock.local_tz())


def can_answer(session: RecordingSession, now: datetime) -> bool:
    """The contact may answer (or change the answer) until the session starts."""
    return session.status in ASKABLE_STATUSES and now < session_start(session)


def parse_proposed_date(raw) -> Optional[date]:
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise ValidationFailed({"proposed_date": _("Tanggal usulan tidak valid (format TTTT-BB-HH).")})


def check_answer(answer_key, proposed: Optional[date], note: str, today: date) -> dict[str, str]:
    """{field: message} for a bad answer; empty when it may be recorded."""
    errors = {}
    if answer_key not in CONFIRMATION_ANSWERS:
        errors["answer"] = _("Pilih jawaban: bersedia, minta tanggal lain, atau tidak bersedia.")
    if answer_key == "jadwal_ulang":
        if proposed is None:
            errors["proposed_date"] = _("Isi tanggal lain yang diusulkan.")
        elif proposed <= today:
            errors["proposed_date"] = _("Tanggal usulan harus sesudah hari ini.")
        elif proposed > today + timedelta(days=PROPOSED_DATE_MAX_DAYS):
            errors["proposed_date"] = _("Tanggal usulan paling lambat satu tahun dari hari ini.")
    if len(note) > NOTE_MAX_CHARS:
        errors["note"] = _("Catatan paling panjang %(n)s karakter.", n=NOTE_MAX_CHARS)
    return errors


def answer(session: RecordingSession, answer_key, proposed_date, note, now: datetime) -> RecordingSession:
    """Record the contact's answer (ValidationFailed for a bad one, or once the session has started)."""
    today = now.astimezone(clock.local_tz()).date()
    if not can_answer(session, now):
        raise ValidationFailed({"answer": _("Jadwal sudah dimulai; jawaban tidak dapat diubah lagi.")})
    proposed = parse_proposed_date(proposed_date) if answer_key == "jadwal_ulang" else None
    note = (note or "").strip() if isinstance(note, str) else ""
    errors = check_answer(answer_key, proposed, note, today)
    if errors:
        raise ValidationFailed(errors)
    new_status = CONFIRMATION_ANSWERS[answer_key]
    changes = {"confirmation_status": [session.confirmation_status, new_status]}
    if proposed != session.confirmation_proposed_date:
        changes["confirmation_proposed_date"] = [_iso(session.confirmation_proposed_date), _iso(proposed)]
    if note != (session.confirmation_note or ""):
        changes["confirmation_note"] = [session.confirmation_note or "", note]
    session.confirmation_status = new_status
    session.confirmation_proposed_date = proposed
    session.confirmation_note = note
    session.confirmation_answered_at = now
    if answer_key == "konfirmasi" and session.status in (workflow.RENCANA, workflow.DITUNDA):
        changes["status"] = [session.status, workflow.TERKONFIRMASI]
        changes["confirmed_with"] = [session.confirmed_with, CONFIRMED_WITH_LINK]
        session.status = workflow.TERKONFIRMASI
        session.confirmed_with = CONFIRMED_WITH_LINK
        session.confirmed_at = now
    record_change(AUDIT_ENTITY, session.id, "confirmation:answer", None, changes,
                  reason=_("Dijawab narahubung lokasi lewat tautan konfirmasi"))
    session.updated_at = now
    db.session.flush()
    if "status" in changes:
        from outreach.ledger import operations as ledger

        ledger.reallocate_session(session)
    _notify_answer(session, new_status, now)
    _commit()
    return session


def _notify_answer(session: RecordingSession, new_status: str, now: datetime) -> None:
    """Tell the kecamatan's coordinators (and whoever asked) what the contact answered."""
    from outreach.jobs.notify import NewNotification, add_notifications, path_for
    from outreach.jobs.sessions_query import coordinators_by_kecamatan

    users = set(coordinators_by_kecamatan([session.kecamatan_kode]).get(session.kecamatan_kode, []))
    asker = db.session.scalar(sa.select(AuditEntry.user_id).where(
        AuditEntry.entity == AUDIT_ENTITY, AuditEntry.entity_id == str(session.id),
        AuditEntry.action == "confirmation:request").order_by(AuditEntry.id.desc()).limit(1))
    if asker:
        users.add(asker)
    if not users:
        return
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "id")):
        label = labels_of("confirmation_status", _)[new_status]
        day = day_text(session.date, session.end_date)
        title = _("%(answer)s: %(site)s, %(day)s", answer=label, site=session.site.nama, day=day)
        body = [_("Jawaban narahubung lokasi untuk sesi %(site)s pada %(day)s: %(answer)s.",
                  site=session.site.nama, day=day, answer=label)]
        if session.confirmation_proposed_date:
            body.append(_("Tanggal yang diusulkan: %(day)s.", day=day_text(session.confirmation_proposed_date)))
        if session.confirmation_note:
            body.append(_("Catatan: %(note)s", note=session.confirmation_note))
        if new_status != "terkonfirmasi":
            body.append(_("Sesi tetap direncanakan; hubungi narahubung lalu ubah atau batalkan sesi bila perlu."))
    link = path_for(current_app, ("planning.session_detail", {"session_id": session.id}))
    ref = f"confirmation:{session.id}:{new_status}:{int(now.timestamp())}"
    add_notifications([NewNotification(user_id=uid, kind="confirmation", title=title, body="\n".join(body),
                                       ref=ref, link=link) for uid in sorted(users)])


def _iso(v) -> Optional[str]:
    return v.isoformat() if v is not None else None


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleSession()


# ---------------------------------------------------------------- what the pages show

def state_of(session: RecordingSession) -> Optional[dict]:
    """The confirmation state as the pages and the API show it; None when never asked."""
    if not session.confirmation_status:
        return None
    return {"status": session.confirmation_status,
            "label": labels_of("confirmation_status")[session.confirmation_status],
            "requested_at": session.confirmation_requested_at, "answered_at": session.confirmation_answered_at,
            "proposed_date": session.confirmation_proposed_date, "note": session.confirmation_note or ""}
