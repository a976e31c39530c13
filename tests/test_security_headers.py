"""Security headers (outreach/headers.py): the CSP and its per-request script nonce, HSTS and Secure cookies
under the HTTPS switch, and Cache-Control: no-store on the app's own answers but not on static files."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from flask import render_template_string

from outreach import create_app
from outreach.headers import content_security_policy, nonced, tile_sources
from tests import builders
from tests.access_matrix import EXPECTED, PUBLIC, URL_SAMPLES
from tests.conftest import WIB

pytestmark = pytest.mark.clock_free  # see tests/conftest.py

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)
NONCE_ATTR = re.compile(r'\snonce="([^"]+)"')
# An inline event handler attribute (onclick=, onsubmit=, ...) inside a tag.
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
ROLE_ORDER = ("admin", "coordinator", "manager", "field")


def csp(resp) -> dict:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = resp.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def csp_nonce_of(resp) -> str:
    nonces = [s for s in csp(resp)["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1, csp(resp)["script-src"]
    return nonces[0][len("'nonce-"):-1]


def script_nonces(html: str) -> list:
    """The nonce of each <script> tag of the page (None for a tag without one)."""
    out = []
    for tag in SCRIPT_TAG.findall(html):
        m = NONCE_ATTR.search(tag)
        out.append(m.group(1) if m else None)
    return out


# ---------------------------------------------------------------- the policy

def test_signed_in_page_has_a_nonce_policy_without_inline_scripts(client, login_as):
    login_as("manager")
    resp = client.get("/peta")
    assert resp.status_code == 200
    policy = csp(resp)
    script_src = policy["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'self'" in script_src
    nonce = csp_nonce_of(resp)
    assert len(nonce) >= 16
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"] and policy["worker-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and resp.headers["X-Frame-Options"] == "DENY"
    assert policy["default-src"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "data:" in policy["img-src"] and "https://tile.openstreetmap.org" in policy["img-src"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_each_answer_has_its_own_nonce_and_the_page_scripts_carry_it(client, login_as):
    login_as("manager")
    first, second = client.get("/peta"), client.get("/peta")
    n1, n2 = csp_nonce_of(first), csp_nonce_of(second)
    assert n1 != n2
    for resp, nonce in ((first, n1), (second, n2)):
        html = resp.get_data(as_text=True)
        nonces = script_nonces(html)
        # Folium's Leaflet link (head), the map config, Folium's inline map script, maps.js, Bootstrap, confirm.js
        assert len(nonces) >= 6
        assert set(nonces) == {nonce}, nonces


def test_the_folium_map_script_runs_with_the_nonce(client, login_as):
    login_as("manager")
    resp = client.get("/peta")
    html = resp.get_data(as_text=True)
    nonce = csp_nonce_of(resp)
    inline = re.search(r'<script nonce="([^"]+)">\s*var (map_[0-9a-f]+) = L\.map\(', html)
    assert inline and inline.group(1) == nonce
    assert f'<script nonce="{nonce}" src="/vendor/leaflet/leaflet.js">' in html  # Folium's header link


def test_tile_hosts_in_img_src(app):
    assert tile_sources({"MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"}) == [
        "https://tile.openstreetmap.org"]
    assert tile_sources({"MAP_TILE_URL": "https://{s}.tile.example.org:8443/{z}/{x}/{y}.png"}) == [
        "https://*.tile.example.org:8443"]
    assert tile_sources({"MAP_TILE_URL": "https://tiles.{s}.example.org/{z}/{x}/{y}.png"}) == ["https:"]
    assert tile_sources({"MAP_TILE_URL": "/ubin/{z}/{x}/{y}.png"}) == []  # 'self' already
    assert tile_sources({"MAP_TILE_URL": "", "CSP_EXTRA_IMG_SRC": ("https://img.example.org",)}) == [
        "https://img.example.org"]
    policy = content_security_policy({"MAP_TILE_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png"}, "abc")
    assert "img-src 'self' data: https://*.tile.example.org;" in policy
    assert "script-src 'self' 'nonce-abc';" in policy


def test_custom_tile_server_is_allowed_by_the_policy(app, client, login_as):
    original = app.config["MAP_TILE_URL"]
    app.config["MAP_TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    try:
        login_as("manager")
        assert "https://tiles.example.org" in csp(client.get("/peta"))["img-src"]
    finally:
        app.config["MAP_TILE_URL"] = original


def test_nonced_filter_marks_each_script_of_trusted_html_once(app):
    with app.test_request_context("/"):
        out = render_template_string(
            '{{ html|nonced }}|{{ csp_nonce() }}',
            html='<script src="/a.js"></script><SCRIPT>x()</SCRIPT><script nonce="old">y()</script><p>scripts</p>')
        html, nonce = out.split("|")
        assert html == (f'<script nonce="{nonce}" src="/a.js"></script><SCRIPT nonce="{nonce}">x()</SCRIPT>'
                        '<script nonce="old">y()</script><p>scripts</p>')
        assert str(nonced("<p>no script</p>")) == "<p>no script</p>"


# ---------------------------------------------------------------- every page

def _html_pages():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "SECRET_KEY": "x"})
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "vendor.asset") or rule.rule.startswith("/api/"):
            continue
        out.append((rule.endpoint, tuple(sorted(rule.arguments))))
    return sorted(out)


def _url(app, world, endpoint, arguments):
    from flask import url_for
    values = {}
    for arg in arguments:
        sample = URL_SAMPLES[arg]
        values[arg] = sample(world) if callable(sample) else sample
    with app.test_request_context():
        return url_for(endpoint, **values)


@pytest.mark.at(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))
def test_every_page_scripts_carry_the_answers_nonce_and_no_inline_handlers(app, client, world, login_as):
    checked = 0
    for endpoint, arguments in _html_pages():
        allowed = EXPECTED[endpoint]
        role = None if allowed == PUBLIC else next(r for r in ROLE_ORDER if r in allowed)
        client.post("/logout")
        if role:
            login_as(role)
        url = _url(app, world, endpoint, arguments)
        resp = client.get(url)
        if not resp.mimetype == "text/html":
            continue
        html = resp.get_data(as_text=True)
        nonce = csp_nonce_of(resp)
        assert all(n == nonce for n in script_nonces(html)), f"{url}: a <script> without this answer's nonce"
        assert not INLINE_HANDLER.search(html), f"{url}: inline event handler {INLINE_HANDLER.search(html).group(0)}"
        assert "javascript:" not in html, url
        checked += 1
    assert checked >= 40


def test_confirmation_questions_use_data_confirm(client, login_as):
    login_as("admin")
    html = client.get("/admin/jobs").get_data(as_text=True)
    assert 'data-confirm="Jalankan tugas ini sekarang?"' in html
    assert "onsubmit" not in html
    assert 'src="/static/js/confirm.js' in html


def test_confirmation_question_is_the_exact_text_of_a_hostile_name(client, login_as, world, db):
    from html.parser import HTMLParser

    from outreach.models import CalendarEntry

    name = 'Hari jadi "Kota" <b>Uji</b> & \'lain\''
    db.session.add(CalendarEntry(kind="libur_daerah", first_date=date(2026, 12, 24), last_date=date(2026, 12, 24),
                                 name=name, region_kode=world.kab.kode))
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/kalender?tahun=2026").get_data(as_text=True)
    questions = []

    class Forms(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "form" and "data-confirm" in attrs:
                questions.append(attrs["data-confirm"])

    Forms().feed(html)
    assert questions == [f'Hapus "{name}" dari kalender?']
    assert "<b>Uji" not in html


# ---------------------------------------------------------------- HTTPS switch

def test_no_hsts_nor_secure_cookies_over_plain_http(app, client, world):
    assert app.config["PREFERRED_URL_SCHEME"] == "http"
    resp = client.post("/login", data={"username": "admin_uji", "password": builders.PASSWORD, "remember": "y"})
    assert resp.status_code == 302
    assert "Strict-Transport-Security" not in resp.headers
    cookies = resp.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") for c in cookies) and any(c.startswith("remember_token=") for c in cookies)
    assert not any("; Secure" in c for c in cookies)


@pytest.fixture()
def https_client(app, db):
    """A second app on the same database with PREFERRED_URL_SCHEME=https (the production switch)."""
    https_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
                            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "SERVER_NAME": None,
                            "PREFERRED_URL_SCHEME": "https"})
    return https_app.test_client()


def test_https_switch_sends_hsts_and_secure_cookies(https_client, world):
    resp = https_client.post("/login", data={"username": "admin_uji", "password": builders.PASSWORD,
                                             "remember": "y"})
    assert resp.status_code == 302
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookies = resp.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    assert "; Secure" in session_cookie and "; Secure" in remember_cookie
    assert "HttpOnly" in session_cookie and "HttpOnly" in remember_cookie
    # HSTS on every answer, static files included.
    assert https_client.get("/static/css/app.css").headers["Strict-Transport-Security"] == "max-age=31536000"


# ---------------------------------------------------------------- caching

def test_signed_in_pages_and_api_are_no_store(client, login_as):
    login_as("coordinator")
    for url in ("/", "/kalender", "/sesi", "/api/v1/sessions"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["Cache-Control"] == "no-store", url


def test_field_pages_are_no_store_too(client, login_as):
    login_as("field")
    resp = client.get("/jadwal-saya")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"


def test_static_and_vendored_assets_keep_their_caching(client, login_as):
    login_as("manager")
    static = client.get("/static/js/confirm.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    vendor = client.get("/vendor/leaflet/leaflet.js")
    assert vendor.status_code == 200 and "max-age=604800" in vendor.headers["Cache-Control"]
    assert "no-store" not in vendor.headers["Cache-Control"]


def test_views_with_their_own_cache_policy_keep_it(client, login_as):
    # The service worker is revalidated on each visit; the manifest is public.
    assert client.get("/sw.js").headers["Cache-Control"] == "no-cache"
    assert client.get("/jadwal-saya/manifest.webmanifest").headers["Cache-Control"] == "public, max-age=86400"
