"""Field pages: "Jadwal saya" (the team's schedule), the turnout log form, and the offline client's
service worker and manifest.

The pages are light (a small hand-written stylesheet, one script, no Bootstrap) so a phone on a weak
signal loads both in well under 100 KB. Logs are written through the JSON API by static/js/field.js,
which queues them on the phone when there is no signal (see static/sw.js).

Access: field users see their team's sessions; coordinators and admins may open the same pages for
the sessions they can see (they correct logs after the team's window). Managers only read figures.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach import clock, vocab
from outreach.field import schedule
from outreach.security import public, roles_required
from outreach import permissions

bp = Blueprint("field", __name__)

FIELD_ASSETS = ("css/field.css", "js/field.js")


def local_now() -> datetime:
    """The office's wall-clock time, naive (session times are local wall-clock times)."""
    return clock.local_now().replace(tzinfo=None, microsecond=0)


@bp.route("/jadwal-saya")
@roles_required(*permissions.LOGGERS)
def my_schedule():
    return schedule_page()


def schedule_page(home: bool = False):
    """The schedule (also the field user's home page, with a greeting and the area's figures)."""
    now = local_now()
    data = schedule.load_schedule(current_user, now)
    extra = {}
    if home:
        from outreach.main.home import home_context
        from outreach.vocab import region_label

        extra = home_context(current_user)
        region = extra.get("scope_region")
        extra["scope_label"] = region_label(region.nama, region.kind) if region else _("Seluruh wilayah")
    regions = _regions(data["sessions"].values())
    return render_template("home/field.html" if home else "field/schedule.html", now=now, home=home, data=data,
                           regions=regions,
                           announcements=_announcements(data["sessions"].values(), regions),
                           places=_places(data["sessions"].values(), regions),
                           cache_urls=[url_for("field.log_form", session_id=i) for i in data["cache_ids"]],
                           **extra, **_page_globals())


@bp.route("/jadwal-saya/sesi/<int:session_id>/log")
@roles_required(*permissions.LOGGERS)
def log_form(session_id: int):
    """The log form of one visible session (another team's or kecamatan's: 404); sent by field.js."""
    from outreach.field import errors, queries

    try:
        s = queries.get_log_session(current_user, session_id)
    except errors.SessionNotFound:
        abort(404)
    return render_template("field/log_form.html", **_log_form_context(s), **_page_globals())


def _log_form_context(s) -> dict:
    from outreach.field import queries, rules

    log = queries.logs_by_session([s.id]).get(s.id)
    now = local_now()
    kits = schedule.kits_for_log(current_user, s)
    regions = _regions([s])
    return {"s": s, "log": log, "log_json": log_json(log) if log else None, "now": now,
            "place": _places([s], regions)[s.id], "kits": kits,
            "kit_codes": {str(k.id): k.code for k in kits},
            "label_pairs": [[family, list(names.items())] for family, names in labels().items()],
            "started": schedule.started(schedule.session_timing(s, log is not None), now),
            "planned": _planned_times(s),
            "can_correct": queries.can_correct(current_user, log) if log else True,
            "tolerance": queries.log_settings().tolerance, "reason_max": rules.CORRECTION_REASON_MAX_CHARS}


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker, served from the root so its scope covers "/" and "/jadwal-saya"."""
    body = _service_worker_source(*(asset_version(a) for a in FIELD_ASSETS))
    resp = Response(body, mimetype="text/javascript")
    resp.headers["Cache-Control"] = "no-cache"  # always revalidated: a new worker is picked up at once
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.set_etag(hashlib.sha256(body.encode()).hexdigest()[:16])
    return resp.make_conditional(request)


@bp.route("/jadwal-saya/manifest.webmanifest")
@public
def manifest():
    body = {"name": _("Jemput Bola — Jadwal saya"), "short_name": _("Jadwal saya"), "lang": "id",
            "start_url": url_for("field.my_schedule"), "scope": "/", "display": "standalone",
            "background_color": "#ffffff", "theme_color": "#146c43"}
    resp = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


# ---------------------------------------------------------------- helpers

@bp.app_template_global()
def field_asset(filename: str) -> str:
    """URL of a field asset with a content version, so a changed file is fetched (and re-cached) again."""
    return url_for("static", filename=filename, v=asset_version(filename))


@bp.app_template_global()
def field_css_inline():
    """The field stylesheet's text, for the login page: on a slow signal every extra request costs its
    full latency, so the first page a phone opens is one request (the file itself is prefetched)."""
    from markupsafe import Markup

    path = Path(current_app.static_folder) / "css/field.css"
    stat = path.stat()
    return Markup(_read_text(str(path), stat.st_mtime_ns, stat.st_size).replace("</", "<\\/"))


@lru_cache(maxsize=4)
def _read_text(path: str, mtime_ns: int, size: int) -> str:
    return Path(path).read_text(encoding="utf-8")


def asset_version(filename: str) -> str:
    path = Path(current_app.static_folder) / filename
    stat = path.stat()
    return _hash_file(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _hash_file(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _service_worker_source(*versions: str) -> str:
    path = Path(current_app.static_folder) / "sw.js"
    stat = path.stat()
    own = _hash_file(str(path), stat.st_mtime_ns, stat.st_size)
    version = hashlib.sha256("|".join((own,) + versions).encode()).hexdigest()[:12]
    assets = [field_asset(a) for a in FIELD_ASSETS]
    pages = [url_for("field.my_schedule")]
    return (path.read_text(encoding="utf-8")
            .replace("__VERSION__", version)
            .replace("__ASSETS__", json.dumps(assets))
            .replace("__PAGES__", json.dumps(pages))
            .replace("__PAGE_TIMEOUT_MS__", str(int(current_app.config["FIELD_PAGE_TIMEOUT_SECONDS"] * 1000)))
            .replace("__OFFLINE_TEXT__", json.dumps(_("Tidak ada sinyal, dan halaman ini belum tersimpan di "
                                                      "ponsel. Buka \"Jadwal saya\" saat ada sinyal."))))


def _page_globals() -> dict:
    return {"field_asset": field_asset, "js_messages": js_messages(), "labels": labels(),
            "tel_href": schedule.tel_href, "session_status_labels": vocab.session_status_labels(),
            "session_kind_labels": vocab.session_kind_labels(), "tz_offset": _tz_offset(),
            "capacity_per_kit_hour": current_app.config.get("RECORDS_PER_KIT_HOUR", 12),
            "send_timeout": current_app.config["FIELD_SEND_TIMEOUT_SECONDS"],
            "retry_after": current_app.config["FIELD_RETRY_SECONDS"]}


def _tz_offset() -> str:
    """'+07:00' for Asia/Jakarta: appended to the form's local times before they are sent."""
    offset = clock.local_now().strftime("%z")
    return f"{offset[:3]}:{offset[3:]}" if offset else "+00:00"


def _planned_times(s) -> dict:
    last = s.end_date or s.date
    return {"start": f"{s.date.isoformat()}T{s.start_time.strftime('%H:%M')}",
            "end": f"{last.isoformat()}T{s.end_time.strftime('%H:%M')}"}


def _regions(sessions) -> dict:
    """{kode: (nama, kind)} of the sessions' desa, kecamatan and kabupaten (one query)."""
    from outreach.planning import queries

    return queries.region_info({k for s in sessions for k in (s.desa_kode, s.kecamatan_kode,
                                                                     s.kabupaten_kode)})


def _places(sessions, regions: dict) -> dict:
    """{session id: address line} (address, RT/RW, desa, kecamatan, without repeating what the address says)."""
    from dataclasses import replace

    from outreach.planning import announce, serialize

    return {s.id: announce.place_line(replace(serialize.announcement_input(s, regions), site_name=""))
            .lstrip(", ") for s in sessions}


def _announcements(sessions, regions: dict) -> dict:
    """{session id: announcement text}, from the planning feature's announcement (plain Python)."""
    from outreach.planning import serialize

    return {s.id: serialize.announcement_for(s, regions) for s in sessions}


def _local_input(value) -> str:
    """An aware datetime as the value of a datetime-local input in the office's time zone."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(clock.local_tz()).strftime("%Y-%m-%dT%H:%M")


def log_json(log) -> dict:
    """The log as the API shows it, plus local input values of its times (for the form)."""
    from outreach.field.serialize import log_to_dict

    data = dict(log_to_dict(log))
    data["_local"] = {"started_at": _local_input(log.started_at), "ended_at": _local_input(log.ended_at)}
    return data


def labels() -> dict:
    """Labels of the log form's fields (the keys are the API's JSON names), from outreach.vocab."""
    return vocab.log_label_families()


def js_messages() -> dict:
    """Texts of static/js/field.js in the page's language ({name} placeholders are filled by the script)."""
    return {
        "notInt": _("Isi dengan angka bulat 0 atau lebih (tanpa titik atau koma)."),
        "tooBig": _("Angka ini terlalu besar untuk satu sesi."),
        "sexMismatch": _("L + P ({sex}) harus sama dengan total terekam ({total})."),
        "sumLine": _("total {total} = L {l} + P {p}"),
        "timeMissing": _("Isi tanggal dan jam."),
        "timeOrder": _("Jam selesai harus sesudah jam mulai."),
        "endFuture": _("Jam selesai tidak boleh di masa depan; kirim log setelah sesi berakhir."),
        "kitsMissing": _("Pilih kit yang dipakai."),
        "overCapacity": _("Total {total} melebihi perkiraan kemampuan kit ({capacity} orang untuk {kits} kit "
                          "selama {hours} jam). Centang konfirmasi bila angka ini benar."),
        "saving": _("Menyimpan…"),
        "nearSent": _("Terkirim"),
        "nearQueued": _("Belum terkirim — tersimpan di ponsel"),
        "nearInvalid": _("Perlu diperbaiki — lihat isian yang ditandai"),
        "nearConflict": _("Bentrok dengan ponsel lain — lihat perbandingan di atas"),
        "signInAgain": _("Masuk lagi"),
        "queued": _("Log disimpan di ponsel, belum terkirim. Akan dikirim otomatis saat ada sinyal."),
        "sent": _("Log terkirim dan tersimpan di server."),
        "invalid": _("Server menolak log ini. Perbaiki isian yang ditandai lalu simpan lagi."),
        "conflict": _("Log sesi ini sudah diisi atau diubah dari ponsel lain. Bandingkan nilainya di bawah; "
                      "tidak ada yang ditimpa."),
        "authNeeded": _("Sesi masuk Anda berakhir. Masuk lagi, lalu tekan \"Kirim sekarang\"; log tetap "
                        "tersimpan di ponsel."),
        "csrf": _("Token keamanan kedaluwarsa. Muat ulang halaman saat ada sinyal, lalu kirim lagi."),
        "refused": _("Server menolak log ini: {message}"),
        "noSignal": _("Tidak ada sinyal. Log disimpan di ponsel dan dikirim saat sinyal kembali."),
        "offlineBanner": _("Tidak ada sinyal: halaman ini dari simpanan ponsel."),
        "weakSignal": _("Ditampilkan dari ponsel — sinyal lemah"),
        "offlineReady": _("Siap dipakai tanpa sinyal."),
        "stateNone": _("belum diisi"),
        "statePending": _("belum terkirim"),
        "stateSent": _("terkirim"),
        "stateInvalid": _("perlu diperbaiki"),
        "stateConflict": _("bentrok dengan ponsel lain"),
        "pendingCount": _("{n} log belum terkirim."),
        "theirs": _("Nilai di server"),
        "yours": _("Nilai Anda"),
        "useMine": _("Simpan nilai saya di atas nilai server"),
        "useTheirs": _("Pakai nilai server"),
        "beforeStart": _("Sesi ini belum dimulai; log baru dapat dikirim setelah jam mulai."),
        "copied": _("Teks pengumuman disalin."),
        "back": _("Kembali ke jadwal"),
        "notes": _("Catatan"),
        "start": _("Mulai"),
        "end": _("Selesai"),
    }
