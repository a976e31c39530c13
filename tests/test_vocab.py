"""One vocabulary: every enumeration has a label per key and an English translation of it; the forms, the
exports and the API offer exactly the vocabulary's keys; the models type no labels; no import circle."""
from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from outreach import vocab

pytestmark = pytest.mark.clock_free  # see tests/conftest.py

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "outreach"
PO = PACKAGE / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _all_msgids() -> list[str]:
    msgids = [msgid for _keys, table in vocab.ENUMERATIONS.values() for msgid in table.values()]
    return msgids + list(vocab.LOG_FIELD_LABELS.values()) + list(vocab._FAMILY_TITLES.values()) + \
        [vocab.MENOLAK_LABEL]


# ---------------------------------------------------------------- the vocabulary itself

@pytest.mark.parametrize("name", sorted(vocab.ENUMERATIONS))
def test_every_key_has_a_label_and_every_label_a_key(name):
    keys, table = vocab.ENUMERATIONS[name]
    assert len(set(keys)) == len(keys)
    assert list(table) == list(keys), f"{name}: labels and keys differ or are in another order"
    assert all(label.strip() for label in table.values())
    assert list(vocab.labels_of(name)) == list(keys)


def test_every_label_has_an_english_translation():
    with PO.open("rb") as f:
        catalog = read_po(f, locale="en")
    missing = [m for m in _all_msgids() if not (catalog.get(m) and catalog.get(m).string
                                               and not catalog.get(m).fuzzy)]
    assert missing == []


def test_labels_are_translated_in_a_request(app):
    with app.test_request_context("/?lang=en"):
        from flask_babel import refresh
        from flask import session

        session["locale"] = "en"
        refresh()
        assert vocab.session_status_labels()["dibatalkan"] == "Cancelled"
        assert vocab.log_field_label("recorded_umum") != "Terekam: Umum"
    assert vocab.session_status_labels()["dibatalkan"] == "Dibatalkan"  # outside a request: the msgid


# ---------------------------------------------------------------- who reads it

def _options(html: str, name: str) -> list[str]:
    select = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % name, html, re.S)
    assert select, f"no <select name={name}>"
    return [v for v in re.findall(r'<option[^>]*value="([^"]*)"', select.group(1)) if v]


def test_forms_offer_the_vocabulary(client, login_as, world):
    login_as("admin")
    assert _options(client.get("/admin/pengguna/baru").get_data(as_text=True), "role") == list(vocab.ROLES)
    assert _options(client.get("/admin/kit/baru").get_data(as_text=True), "status") == list(vocab.KIT_STATUSES)
    assert _options(client.get("/lokasi").get_data(as_text=True), "type") == list(vocab.SITE_TYPES)
    assert _options(client.get("/lokasi/baru").get_data(as_text=True), "type") == list(vocab.SITE_TYPES)


def test_the_log_export_has_a_column_per_key_with_its_label(client, login_as, world):
    login_as("admin")
    raw = client.get("/dasbor/33.74/ekspor/log.csv").get_data().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(raw)))
    for group, label in vocab.recorded_group_labels().items():
        assert f"Terekam: {label}" in header
    for reason, label in vocab.not_recorded_labels().items():
        assert f"Tidak terekam: {label}" in header
    for reason, label in vocab.away_reason_labels().items():
        assert f"Di luar daerah: {label}" in header


def test_the_api_declares_the_vocabulary(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    log = schemas["TurnoutLog"]["properties"]
    assert set(log["recorded"]["properties"]) == set(vocab.RECORDED_GROUPS)
    assert set(log["recorded_by_sex"]["properties"]) == set(vocab.SEXES)
    assert set(log["not_recorded"]["properties"]) == set(vocab.NOT_RECORDED_REASONS)
    assert set(log["away"]["properties"]) == set(vocab.AWAY_REASONS)
    enums = {}

    def walk(node, path=""):
        if isinstance(node, dict):
            if "enum" in node:
                enums.setdefault(path.rsplit("/", 1)[-1], []).append(list(node["enum"]))
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, path)

    walk(doc)
    every = [e for lists in enums.values() for e in lists]
    for name in ("session_kind", "session_status", "recorded_group", "site_type", "kit_status", "level",
                 "region_kind"):
        assert list(vocab.ENUMERATIONS[name][0]) in every, f"the API does not offer every {name}"
    # An enum made of a vocabulary's keys is the whole tuple, except the status changes a session may ask for
    # and the levels a map shows.
    from outreach.maps.queries import MAP_LEVELS

    tuples = [list(keys) for keys, _table in vocab.ENUMERATIONS.values()]
    allowed_parts = [["terkonfirmasi", "ditunda", "dibatalkan"], list(MAP_LEVELS)]
    for e in every:
        if any(set(e) < set(t) for t in tuples) and e not in tuples:
            assert e in allowed_parts, f"the API retypes part of a vocabulary: {e}"


# ---------------------------------------------------------------- the models type no labels

def test_models_type_no_labels():
    keys = {key for keys, _table in vocab.ENUMERATIONS.values() for key in keys}
    labels = set(_all_msgids()) - keys  # "selesai" is a session status and a job status's label
    for path in sorted((PACKAGE / "models").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"_", "_l", "N_", "gettext",
                                                                                   "lazy_gettext", "gettext_here"}:
                pytest.fail(f"{path.name}:{node.lineno} translates a label itself")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in labels:
                pytest.fail(f"{path.name}:{node.lineno} types the label {node.value!r}")


# ---------------------------------------------------------------- no import circle

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module-level imports among outreach's modules (imports inside functions run later, on call)."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "translations" not in p.parts}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] +
                                    ([node.module] if node.module else []))
                targets |= {f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names}
        targets = {t for t in targets if t in paths and t != name}
        if path.name == "__init__.py":
            # A blueprint package registers its routes at its bottom (microblog's idiom): the routes import
            # the package's `bp` back. That pair is no circle of the code's own.
            targets = {t for t in targets if not t.startswith(name + ".")}
        graph[name] = targets
    return graph


def _cycle(graph: dict[str, set[str]]):
    """One import circle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node):
        state[node] = 1
        trail.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return trail[trail.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        trail.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_circle_among_outreach_modules():
    graph = _import_graph()
    assert "outreach.field.rules" in graph["outreach.models.field"]
    assert not any(t.startswith("outreach.models") for t in graph["outreach.field.rules"])
    assert _cycle(graph) is None


def test_the_circle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
