"""Benchmark: bytes a cheap phone downloads on its first visit of the public request form (gzip, as sent).

    .venv/bin/python bench/request_form_weight.py          # demo data (seed-demo) in a temporary SQLite file

Opens `/permohonan?desa=<the first demo desa>` as a QR code would, without signing in, and fetches every
resource the page loads (stylesheets, scripts, images, icons), all with `Accept-Encoding: gzip`; then the
chooser's data for the desa's kecamatan (what the script asks for when the kecamatan changes). Prints
`name=value` lines:

    request_form_first_visit_bytes / _kb   the page and every resource it loads (bodies and response headers)
    request_form_page_bytes                the HTML alone
    request_form_budget_kb                 the issue's limit (100 KB)
    request_form_within_budget             yes / no
    file=<path> gzip_bytes=<n> raw_bytes=<n>   one line per file

Sizes depend only on the demo data and the templates (deterministic), not on timing.
"""
from __future__ import annotations

import gzip
import re
import secrets
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET_BYTES = 100 * 1024
# Everything a browser would fetch for the page: stylesheets, scripts, icons, images.
RESOURCE_PATTERN = re.compile(r'<(?:link|script|img|source)\b[^>]*?(?:href|src)="([^"]+)"')


@dataclass
class Fetched:
    path: str
    gzip_bytes: int  # body as sent plus the response headers
    raw_bytes: int


@dataclass
class Weight:
    files: list = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f.gzip_bytes for f in self.files)

    def lines(self) -> list[str]:
        return [f"file={f.path} gzip_bytes={f.gzip_bytes} raw_bytes={f.raw_bytes}" for f in self.files]


def _headers_size(resp) -> int:
    return len(f"HTTP/1.1 {resp.status}\r\n") + sum(len(f"{k}: {v}\r\n") for k, v in resp.headers.items()) + 2


def fetch(client, path: str) -> tuple[Fetched, str]:
    resp = client.get(path, headers={"Accept-Encoding": "gzip"})
    if resp.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {resp.status_code}")
    body = resp.get_data()
    raw = gzip.decompress(body) if resp.headers.get("Content-Encoding") == "gzip" else body
    return Fetched(path, len(body) + _headers_size(resp), len(raw)), raw.decode("utf-8", "replace")


def measure(client, path: str) -> Weight:
    """The first visit of `path`: the page, every resource it references, the favicon a browser asks for, and
    the chooser's data for the preselected kecamatan."""
    weight = Weight()
    page, html = fetch(client, path)
    weight.files.append(page)
    resources = []
    for url in RESOURCE_PATTERN.findall(html):
        parts = urlsplit(url.replace("&amp;", "&"))
        if parts.netloc:
            raise RuntimeError(f"the form asks for another server: {url}")
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if target not in resources:
            resources.append(target)
    if "/favicon.ico" not in resources:
        resources.append("/favicon.ico")  # browsers ask for it when the page names no icon
    regions = re.search(r'data-regions="([^"]+)"', html)
    kecamatan = re.search(r'<option value="([0-9.]{8})" selected>', html)
    if regions and kecamatan:
        resources.append(f"{regions.group(1)}?induk={kecamatan.group(1)}")
    for target in resources:
        weight.files.append(fetch(client, target)[0])
    return weight


def demo_app(database_url: str):
    """An app on `database_url` with the demo loaded; the code of its first desa."""
    import sqlalchemy as sa

    from outreach import create_app, demo
    from outreach.extensions import db
    from outreach.models import Region

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secrets.token_hex(32), "TESTING": True})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        if db.session.scalar(sa.select(Region.kode).where(Region.level == "desa").limit(1)) is None:
            demo.seed_demo()
        desa = db.session.scalar(sa.select(Region.kode).where(Region.level == "desa").order_by(Region.kode).limit(1))
    return app, desa


def main() -> None:
    import logging
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        app, desa = demo_app(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        weight = measure(app.test_client(), f"/permohonan?desa={desa}")
    print(f"request_form_first_visit_bytes={weight.total_bytes}")
    print(f"request_form_first_visit_kb={weight.total_bytes / 1024:.1f}")
    print(f"request_form_page_bytes={weight.files[0].gzip_bytes}")
    print(f"request_form_budget_kb={BUDGET_BYTES // 1024}")
    print(f"request_form_within_budget={'yes' if weight.total_bytes < BUDGET_BYTES else 'no'}")
    for line in weight.lines():
        print(line)


if __name__ == "__main__":
    main()
