"""What a field phone downloads on its first visit, and what it downloads again later: a login page in one
request (no Bootstrap), assets that do not vary with the cookie (a sign-out does not make the phone
download them again), validators that survive compression (revalidation gives 304), a versioned field
file kept a year, a service worker with a validator, and a favicon instead of a 404."""
from __future__ import annotations

import re

import pytest

from tests import builders


CHROME_ENCODINGS = "gzip, deflate, br, zstd"
ASSETS = ["/vendor/bootstrap/css/bootstrap.min.css", "/vendor/bootstrap/js/bootstrap.bundle.min.js", "/sw.js",
          "/favicon.ico"]


def _get(client, path, **headers):
    headers.setdefault("Accept-Encoding", CHROME_ENCODINGS)
    return client.get(path, headers=headers, buffered=True)


def _field_asset_urls(html: str) -> list[str]:
    return sorted(set(re.findall(r'(/static/(?:css/field\.css|js/field\.js)\?v=[0-9a-f]+)', html)))


def test_the_login_page_is_one_light_request(client, db):
    resp = _get(client, "/login", **{"Accept-Encoding": "identity"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "bootstrap" not in html and "<script" not in html
    assert 'rel="stylesheet"' not in html  # nothing render-blocking to fetch: the style is in the page
    assert "<style>" in html and ".fb-btn" in html
    assert len(_field_asset_urls(html)) == 2  # prefetched for the schedule after "Masuk"
    assert len(_get(client, "/login").get_data()) < 4 * 1024  # compressed, the stylesheet included
    assert "Masuk ke Jemput Bola" in html and 'name="remember"' in html


def test_assets_do_not_vary_with_the_cookie_and_set_none(client, login_as, world):
    login_as("field")
    html = client.get("/jadwal-saya").get_data(as_text=True)
    for path in ASSETS + _field_asset_urls(html):
        resp = _get(client, path)
        assert resp.status_code == 200, path
        assert "cookie" not in resp.headers.get("Vary", "").lower(), path
        assert "Set-Cookie" not in resp.headers, path


@pytest.mark.parametrize("encoding", [CHROME_ENCODINGS, "gzip", "identity"])
def test_revalidating_a_compressed_asset_gives_304(client, login_as, world, encoding):
    login_as("field")
    html = client.get("/jadwal-saya").get_data(as_text=True)
    for path in ASSETS + _field_asset_urls(html):
        first = _get(client, path, **{"Accept-Encoding": encoding})
        etag = first.headers.get("ETag")
        assert etag, path
        again = _get(client, path, **{"Accept-Encoding": encoding, "If-None-Match": etag})
        assert again.status_code == 304, (path, encoding, etag)
        assert again.get_data() == b""


def test_cache_lifetimes(client, login_as, world):
    login_as("field")
    html = client.get("/jadwal-saya").get_data(as_text=True)
    for path in _field_asset_urls(html):  # versioned: a new version has a new URL
        cc = _get(client, path).headers["Cache-Control"]
        assert "max-age=31536000" in cc and "immutable" in cc and "no-cache" not in cc
    sw = _get(client, "/sw.js")
    assert sw.headers["Cache-Control"] == "no-cache" and sw.headers.get("ETag")
    assert "max-age=604800" in _get(client, "/vendor/bootstrap/css/bootstrap.min.css").headers["Cache-Control"]
    assert "no-cache" in _get(client, "/static/css/field.css").headers["Cache-Control"]  # unversioned


def test_the_favicon_is_a_tiny_icon(client, db):
    resp = _get(client, "/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/x-icon"
    assert resp.get_data()[:4] == b"\x00\x00\x01\x00" and len(resp.get_data()) < 512
    assert "max-age=604800" in resp.headers["Cache-Control"]


def test_the_worker_keeps_read_only_log_forms_off_the_phone():
    from datetime import date, time

    from outreach.field.schedule import Timing, cache_ids, classify

    d = date(2026, 5, 6)
    timings = {i: Timing(id=i, first_day=date(2026, 5, n), last_day=date(2026, 5, n), start=time(8), end=time(12),
                         status="selesai", has_log=True) for i, n in ((1, 4), (2, 5))}
    out = classify(timings.values(), datetime_at(d, 13))
    assert out.logged == [2, 1]
    assert cache_ids(out, timings, d) == [2, 1]
    assert cache_ids(out, timings, d, correctable={2}) == [2]  # log 1 is past the correction window


def datetime_at(d, hour):
    from datetime import datetime

    return datetime(d.year, d.month, d.day, hour)


def test_the_service_worker_leaves_pages_to_the_page(client, world):
    sw = _get(client, "/sw.js", **{"Accept-Encoding": "identity"}).get_data(as_text=True)
    install = sw[sw.index('addEventListener("install"'):sw.index('addEventListener("activate"')]
    assert "fetchPage" not in install  # installing downloads no page: the open page hands over its own copy
    assert "keepOwnCopy" in sw


def test_the_login_form_answers_a_field_team_with_its_schedule_in_place_of_a_redirect(client, world, csrf_on):
    """One round trip less on a weak signal: the login page's form asks for its landing page inline; the
    page names its own address for field.js to take, and other roles (and other clients) are redirected."""
    page = client.get("/login").get_data(as_text=True)
    assert 'name="land" value="inline"' in page
    login_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    field = world.users["field"]
    resp = client.post("/login", data={"username": field.username, "password": builders.PASSWORD,
                                       "land": "inline", "csrf_token": login_token})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'data-canonical="/"' in html and 'id="fb-sync-login"' in html
    assert "no-store" in resp.headers["Cache-Control"]
    # The page's own links speak of its address, not of the login's.
    assert "next=/login" not in html and 'value="/login' not in html
    # Signed in: the next page needs no login, and the page's own forms carry a token of the new session.
    assert client.get("/").status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    # Without the form's field (an API client, a script): the redirect as before; other roles too.
    def fresh_token():
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)

    assert client.post("/login", data={"username": field.username, "password": builders.PASSWORD,
                                       "csrf_token": fresh_token()}).status_code == 302
    home = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', home).group(1)})
    coordinator = world.users["coordinator"]
    resp = client.post("/login", data={"username": coordinator.username, "password": builders.PASSWORD,
                                       "land": "inline", "csrf_token": fresh_token()})
    assert resp.status_code == 302
