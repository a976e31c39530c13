"""The public schedule's pages (no login): `/jadwal/<kode>` and `/jadwal/<kode>.ics`.

Cached and shareable: `Cache-Control: public, max-age=PUBLIC_SCHEDULE_MAX_AGE` with an ETag (a 304 answers
a revalidation), no session cookie for an anonymous visitor (the page has no form and asks for no CSRF
token). A signed-in viewer gets the same page marked `private`: their answer may carry their own session
cookie and language, which a shared cache must not hand to someone else. The rules and shapes are in
outreach.public_schedule.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from outreach import clock
from outreach import public_schedule as rules
from outreach.errors import plain_page
from outreach.i18n import gettext_here as _
from outreach.security import public
from outreach.vocab import session_kind_labels

bp = Blueprint("public_schedule", __name__)

REQUEST_FORM_PATH = "/permohonan"  # the public request form (outreach's request blueprint)


def _settings() -> tuple[int, int, int]:
    config = current_app.config
    return (int(config.get("PUBLIC_SCHEDULE_DAYS", rules.DEFAULT_DAYS)),
            int(config.get("PUBLIC_SCHEDULE_MAX_ROWS", rules.DEFAULT_MAX_ROWS)),
            int(config.get("PUBLIC_SCHEDULE_MAX_AGE", 300)))


def _not_found():
    return plain_page(404, _("Wilayah tidak ditemukan. Periksa kode wilayah (kabupaten/kota, kecamatan, atau "
                             "desa/kelurahan) pada alamat halaman."))


def _schedule(kode: str):
    area = rules.load_area(kode)
    if area is None:
        return None
    days, max_rows, _age = _settings()
    return rules.schedule_for(area, clock.local_today(), days, max_rows, str(get_locale()))


def _cacheable(response: Response, etag: str) -> Response:
    """Public (private for a signed-in viewer) caching for max-age seconds, with an ETag; 304 when it matches."""
    response.cache_control.max_age = _settings()[2]
    if current_user.is_authenticated:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.set_etag(etag)
    return response.make_conditional(request)


@bp.route("/jadwal/<kode>")
@public
def schedule_page(kode: str):
    """The upcoming sessions of a kabupaten/kota, kecamatan or desa/kelurahan (or the province)."""
    schedule = _schedule(kode)
    if schedule is None:
        return _not_found()
    page_url = url_for("public_schedule.schedule_page", kode=kode, _external=True)
    share_text = _("Jadwal perekaman E-KTP keliling (jemput bola) di %(area)s: %(url)s", area=schedule.area.title(),
                   url=page_url)
    request_url = request.script_root + REQUEST_FORM_PATH + (
        f"?desa={quote(kode)}" if schedule.area.level == "desa" else "")
    html = render_template(
        "public_schedule/schedule.html", schedule=schedule, page_url=page_url,
        whatsapp_url="https://wa.me/?text=" + quote(share_text, safe=""), request_url=request_url,
        ical_url=url_for("public_schedule.schedule_feed", kode=kode, _external=True),
        kind_labels=session_kind_labels(), days_ahead=_settings()[0], who=rules.who_should_come,
        bring=rules.what_to_bring)
    return _cacheable(Response(html, mimetype="text/html"), schedule.etag("html", str(get_locale())))


@bp.route("/jadwal/<kode>.ics")
@public
def schedule_feed(kode: str):
    """The same sessions as a public iCalendar feed (Asia/Jakarta times, one stable UID per session)."""
    schedule = _schedule(kode)
    if schedule is None:
        return _not_found()
    config = current_app.config
    body = rules.feed_bytes(schedule, url_for("public_schedule.schedule_page", kode=kode, _external=True),
                            config.get("CALENDAR_UID_DOMAIN", "jemput-bola"), session_kind_labels(),
                            tz=config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
    response = Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="jadwal-{kode}.ics"'})
    return _cacheable(response, schedule.etag("ics", str(get_locale())))
