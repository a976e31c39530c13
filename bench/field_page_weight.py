"""Benchmark: bytes a field phone downloads for "Jadwal saya" and a log form (gzip, as Flask-Compress sends).

    .venv/bin/python bench/field_page_weight.py            # demo data (seed-demo) in a temporary SQLite file

Signs in as the demo field user (`lapangan`), fetches the schedule page, the log form of the first
session waiting for its log, and every asset they reference (stylesheet, script, manifest, and the
service worker the page registers), all with `Accept-Encoding: gzip`. Prints `name=value` lines:

    first_visit_bytes        schedule + log form + every asset (bodies and response headers)
    repeat_visit_bytes       schedule + log form only (assets come from the phone's cache)
    offline_prefetch_bytes   what the service worker fetches on top to work offline (the other
                             sessions' log forms and its own copy of the schedule)
    budget_bytes             the issue's limit for the first visit (100 KB)
    file=<path> gzip_bytes=<n> raw_bytes=<n>   one line per file

Sizes depend only on the demo data and the templates (deterministic), not on timing.
"""
from __future__ import annotations

import re
import secrets
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET_BYTES = 100 * 1024
ASSET_PATTERN = re.compile(r'<(?:link|script)\b[^>]*?(?:href|src)="([^"]+)"')
LOG_LINK = re.compile(r'href="(/jadwal-saya/sesi/\d+/log)"')
CACHE_LIST = re.compile(r'<script type="application/json" id="fb-cache">(.*?)</script>', re.S)


@dataclass
class Fetched:
    path: str
    gzip_bytes: int  # body as sent plus the response headers
    raw_bytes: int
    encoding: str


@dataclass
class Weight:
    pages: list = field(default_factory=list)
    assets: list = field(default_factory=list)
    prefetch: list = field(default_factory=list)

    @property
    def first_visit_bytes(self) -> int:
        return sum(f.gzip_bytes for f in self.pages + self.assets)

    @property
    def repeat_visit_bytes(self) -> int:
        return sum(f.gzip_bytes for f in self.pages)

    @property
    def offline_prefetch_bytes(self) -> int:
        return sum(f.gzip_bytes for f in self.prefetch)


def _headers_size(resp) -> int:
    status = f"HTTP/1.1 {resp.status}\r\n"
    return len(status) + sum(len(f"{k}: {v}\r\n") for k, v in resp.headers.items()) + 2


def fetch(client, path: str) -> tuple[Fetched, str]:
    """GET `path` asking for gzip; returns the sizes and the decoded text."""
    import gzip

    resp = client.get(path, headers={"Accept-Encoding": "gzip"})
    if resp.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {resp.status_code}")
    body = resp.get_data()
    encoding = resp.headers.get("Content-Encoding", "")
    raw = gzip.decompress(body) if encoding == "gzip" else body
    return Fetched(path, len(body) + _headers_size(resp), len(raw), encoding or "identity"), \
        raw.decode("utf-8", "replace")


def measure(client) -> Weight:
    """Page weight of the signed-in client's schedule and first log form (see the module docstring)."""
    weight = Weight()
    schedule, html = fetch(client, "/jadwal-saya")
    weight.pages.append(schedule)
    links = LOG_LINK.findall(html)
    if not links:
        raise RuntimeError("the schedule lists no session with a log form")
    form, form_html = fetch(client, links[0])
    weight.pages.append(form)
    assets = []
    for text in (html, form_html):
        for url in ASSET_PATTERN.findall(text):
            path = urlsplit(url.replace("&amp;", "&"))
            if path.netloc:
                raise RuntimeError(f"a field page asks for another server: {url}")
            target = path.path + (f"?{path.query}" if path.query else "")
            if target not in assets:
                assets.append(target)
    worker = re.search(r'data-sw="([^"]+)"', html)
    if worker and worker.group(1) not in assets:
        assets.append(worker.group(1))
    for path in assets:
        weight.assets.append(fetch(client, path)[0])
    import json

    cached = json.loads(CACHE_LIST.search(html).group(1)) if CACHE_LIST.search(html) else []
    for path in ["/jadwal-saya"] + [p for p in cached if p != links[0]]:
        weight.prefetch.append(fetch(client, path)[0])
    return weight


def demo_client(database_url: str):
    """An app on `database_url` with the demo loaded and a test client signed in as `lapangan`."""
    import sqlalchemy as sa

    from outreach import create_app, demo, demo_data
    from outreach.extensions import db
    from outreach.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secrets.token_hex(32), "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        if db.session.scalar(sa.select(User.id).where(User.username == "lapangan")) is None:
            demo.seed_demo()
    client = app.test_client()
    resp = client.post("/login", data={"username": "lapangan", "password": demo_data.PASSWORD})
    if resp.status_code != 302:
        raise RuntimeError("could not sign in as the demo field user")
    return app, client


def main() -> None:
    import logging
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        _app, client = demo_client(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        weight = measure(client)
    print(f"first_visit_bytes={weight.first_visit_bytes}")
    print(f"repeat_visit_bytes={weight.repeat_visit_bytes}")
    print(f"offline_prefetch_bytes={weight.offline_prefetch_bytes}")
    print(f"budget_bytes={BUDGET_BYTES}")
    print(f"within_budget={'yes' if weight.first_visit_bytes < BUDGET_BYTES else 'no'}")
    for kind, items in (("page", weight.pages), ("asset", weight.assets), ("prefetch", weight.prefetch)):
        for f in items:
            print(f"file={f.path} kind={kind} gzip_bytes={f.gzip_bytes} raw_bytes={f.raw_bytes} encoding={f.encoding}")


if __name__ == "__main__":
    main()
