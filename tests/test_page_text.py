"""What a person reads on the demo's pages: no ISO dates, no raw column names, and a region code only
beside its region's name. Every demo user's pages are crawled from their home page (links followed
within the app, GET only), and the visible text is checked: attributes, scripts and styles aside, and
machine text shown as such (`<code>`, `<kbd>`, `<pre>`: a CSV's column names, a job's name) and the
input-format hints under form fields ("kode kecamatan (mis. 33.74.01)"), which show what to type."""
import re
from collections import deque
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pytest
import sqlalchemy as sa

from outreach import demo
from outreach.extensions import db as _db
from outreach.models import Region
from tests.conftest import WIB

ISO_DATE = re.compile(r"\b(19|20)\d\d-[01]\d-[0-3]\d\b")
# snake_case identifiers as a database or Python writes them (recorded_umum, turnout_log, not_recorded_x)
RAW_NAME = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
REGION_CODE = re.compile(r"(?<![\d.])\d{2}(?:\.\d{2}){1,2}(?:\.\d{4})?(?![\d.])")
MACHINE_TAGS = ("script", "style", "template", "code", "kbd", "pre", "samp")
NEAR = 80  # characters on either side where the region's name must appear
MAX_PAGES = 90
PER_SHAPE = 2  # pages per address shape (/sesi/N): variety rather than every session
SKIP_PREFIXES = ("/static/", "/vendor/", "/logout", "/keluar", "/bahasa/", "/api/", "/sw.js", "/favicon")
SKIP_SUFFIXES = (".csv", ".xlsx", ".ics", ".json", ".geojson", ".png", ".pdf", ".js")


class TextAndLinks(HTMLParser):
    """Visible text (machine text and input hints skipped, see the module's docstring) and links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.links = [], []
        self._skip_tag, self._depth = None, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if self._skip_tag is None:
            if tag in MACHINE_TAGS or "form-text" in (attrs.get("class") or "").split():
                self._skip_tag, self._depth = tag, 1
        elif tag == self._skip_tag:
            self._depth += 1

    def handle_endtag(self, tag):
        if self._skip_tag is not None and tag == self._skip_tag:
            self._depth -= 1
            if self._depth == 0:
                self._skip_tag = None

    def handle_data(self, data):
        if self._skip_tag is None and data.strip():
            self.parts.append(data.strip())


def crawl(client, start="/"):
    seen, queue, pages, shapes = set(), deque([start]), {}, {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        shape = re.sub(r"\d+", "N", url.split("?")[0])
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        resp = client.get(url)
        if resp.status_code != 200 or not resp.content_type.startswith("text/html"):
            continue
        parser = TextAndLinks()
        parser.feed(resp.get_data(as_text=True))
        pages[url] = " \n ".join(parser.parts)
        for href in parser.links:
            href, _frag = urldefrag(href)
            parsed = urlparse(href)
            if parsed.scheme or parsed.netloc or not parsed.path.startswith("/"):
                continue
            if parsed.path.startswith(SKIP_PREFIXES) or parsed.path.endswith(SKIP_SUFFIXES):
                continue
            target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            if target not in seen:
                queue.append(target)
    return pages


def problems_of(text: str, names: dict) -> list[str]:
    found = [f"tanggal ISO {m.group(0)!r}" for m in ISO_DATE.finditer(text)]
    found += [f"nama kolom {m.group(0)!r}" for m in RAW_NAME.finditer(text)]
    for m in REGION_CODE.finditer(text):
        name = names.get(m.group(0))
        if name is None:
            continue  # a time (08.00) or another number, not a region's code
        around = text[max(0, m.start() - NEAR):m.end() + NEAR]
        if name not in around:
            found.append(f"kode wilayah {m.group(0)!r} tanpa namanya: …{around.strip()[:120]}…")
    return found


@pytest.fixture()
def demo_db(app, db):
    demo.seed_demo()
    _db.session.commit()
    return dict(_db.session.execute(sa.select(Region.kode, Region.nama)).all())


@pytest.mark.at(datetime(2026, 12, 14, 10, 0, tzinfo=WIB))
@pytest.mark.parametrize("username", ["admin", "manajer", "koordinator", "lapangan"])
def test_demo_pages_read_as_a_person_writes(client, demo_db, username):
    resp = client.post("/login", data={"username": username, "password": "jemputbola"})
    assert resp.status_code == 302
    pages = crawl(client)
    assert len(pages) >= 3, pages.keys()
    report = {url: problems_of(text, demo_db) for url, text in pages.items()}
    report = {url: sorted(set(p))[:5] for url, p in report.items() if p}
    assert not report, "\n".join(f"{url}: {p}" for url, p in sorted(report.items()))
