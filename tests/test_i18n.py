"""The English catalog is complete and well-formed, and the UI switches between Indonesian and English.

The msgids are Bahasa Indonesia (the default locale `id` needs no catalog); English lives in
outreach/translations/en/LC_MESSAGES/messages.po. Refresh it with `make translations-update`
(extraction + `pybabel update`), translate, then `make translations`.
"""
from __future__ import annotations

import fnmatch
import os
import re
import tempfile
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

pytestmark = pytest.mark.clock_free  # see tests/conftest.py

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "outreach" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

# %(name)s / %(n)d / %s style, and the {name} style used by strings handed to JavaScript.
PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifrxXeEgGc%])")
BRACES = re.compile(r"\{(\w*)\}")


def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def _entries(catalog):
    return [m for m in catalog if m.id]


def _strings(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _keywords() -> dict:
    """Babel's default keywords plus the `-k` ones the Makefile's translations-update passes."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("translations-update:", 1)[1].split("\n\n", 1)[0]
    extra = re.findall(r"-k\s+(\S+)", recipe)
    assert {"_l", "lazy_gettext", "N_"} <= set(extra), "translations-update must extract _l, lazy_gettext and N_"
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update({k: None for k in extra})
    return keywords


# Directories extraction skips, as the Makefile's I18N_IGNORE_DIRS (templates/_macros is extracted).
IGNORE_DIRS = (".*", "__pycache__", "node_modules", "instance")


def _extracted_dir(dirpath: str) -> bool:
    return not any(fnmatch.fnmatch(os.path.basename(dirpath), pattern) for pattern in IGNORE_DIRS)


def _extracted() -> dict[str, list[str]]:
    """Every msgid in the source today (same method map and keywords as the Makefile), with where it is."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=_keywords(), directory_filter=_extracted_dir):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def _placeholders(text: str) -> tuple[list, list]:
    percent = sorted((name or "", conv) for name, conv in PERCENT.findall(text) if conv != "%")
    braces = sorted(BRACES.findall(text))
    return percent, braces


# (a) complete: nothing empty, nothing fuzzy
def test_catalog_has_no_empty_or_fuzzy_entries():
    catalog = _catalog()
    entries = _entries(catalog)
    assert len(entries) > 500, "the English catalog looks truncated"
    empty = [m.id for m in entries if not all(_strings(m.string))]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not empty, f"{len(empty)} untranslated entries, e.g. {empty[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries, e.g. {fuzzy[:5]}"
    assert "nplurals=2" in catalog.plural_forms


# (b) in step with the code
def test_every_extracted_msgid_is_in_the_catalog():
    extracted = _extracted()
    assert "Simpan" in extracted and "Nama pengguna" in extracted, "extraction found too little"
    catalog = _catalog()
    known = {(m.id[0] if isinstance(m.id, (list, tuple)) else m.id) for m in _entries(catalog)}
    missing = sorted(set(extracted) - known)
    detail = "\n".join(f"  {msgid!r} ({extracted[msgid][0]})" for msgid in missing[:15])
    assert not missing, (f"{len(missing)} msgids are not in the English catalog; run `make translations-update`, "
                         f"translate them, then `make translations`:\n{detail}")


# (c) translations keep the placeholders the code fills in
def test_translations_keep_placeholders():
    catalog = _catalog()
    bad = []
    for m in _entries(catalog):
        ids = _strings(m.id)
        for i, text in enumerate(_strings(m.string)):
            source = ids[min(i, len(ids) - 1)]
            if _placeholders(text) != _placeholders(source):
                bad.append((source, text))
    assert not bad, "placeholders differ:\n" + "\n".join(f"  {s!r} -> {t!r}" for s, t in bad[:10])
    problems = [(m.id, errors) for m, errors in catalog.check()]
    assert not problems, f"babel format checks failed: {problems[:5]}"


# (d) the UI really switches language
@pytest.fixture(scope="module")
def compiled_catalog():
    """Compile the .po (as `make translations` does) when the .mo is missing or older, atomically."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        fd, tmp = tempfile.mkstemp(dir=MO.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as f:
            write_mo(f, _catalog())
        os.replace(tmp, MO)
    return MO


def _html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match, "page has no <html lang>"
    return match.group(1)


def _nav_labels(html: str) -> set[str]:
    return {label.strip() for label in re.findall(r'class="nav-link[^"]*"[^>]*>([^<]+)</a>', html)}


def test_login_page_follows_the_chosen_language(client, compiled_catalog):
    page = client.get("/login").get_data(as_text=True)
    assert _html_lang(page) == "id"
    assert "Masuk ke Jemput Bola" in page and "Nama pengguna" in page and "Kata sandi" in page
    assert "Sign in to Jemput Bola" not in page

    resp = client.post("/bahasa/en", data={"next": "/login"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert "Sign in to Jemput Bola" in page and "Username" in page and "Password" in page
    assert "Masuk ke Jemput Bola" not in page and "Kata sandi" not in page

    client.post("/bahasa/id", data={"next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert _html_lang(page) == "id" and "Masuk ke Jemput Bola" in page


def test_unknown_language_is_ignored(client, compiled_catalog):
    client.post("/bahasa/xx", data={"next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert _html_lang(page) == "id" and "Masuk ke Jemput Bola" in page


def test_signed_in_home_page_switches_language_and_remembers_it(client, login_as, compiled_catalog):
    login_as("coordinator")
    page = client.get("/").get_data(as_text=True)
    assert _html_lang(page) == "id"
    nav = _nav_labels(page)
    assert {"Kalender", "Wilayah", "Lokasi"} <= nav, nav
    assert "Keluar" in page and "Selamat datang" in page
    assert not nav & {"Calendar", "Regions", "Sites"}

    client.post("/bahasa/en", data={"next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert _html_lang(page) == "en"
    nav = _nav_labels(page)
    assert {"Calendar", "Regions", "Sites"} <= nav, nav
    assert "Sign out" in page and "Welcome" in page
    assert not nav & {"Kalender", "Wilayah", "Lokasi"}
    assert "Selamat datang" not in page and ">Keluar<" not in page

    # The choice is stored on the user: signing in again (which clears the session) keeps English.
    login_as("coordinator")
    page = client.get("/").get_data(as_text=True)
    assert _html_lang(page) == "en" and "Calendar" in _nav_labels(page)
