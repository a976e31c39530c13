"""Help keep the English catalog complete: list what needs translating, and apply reviewed translations.

    .venv/bin/python scripts/fill_en.py todo [--limit N]      # untranslated or fuzzy entries as JSON
    .venv/bin/python scripts/fill_en.py apply FILE.json       # {"msgid": "English", ...} -> catalog
    .venv/bin/python scripts/fill_en.py stats                 # counts of entries / untranslated / fuzzy

Plural entries are listed with "msgid_plural" and take a two-item list in FILE.json. Applying a
translation clears the entry's fuzzy flag (the human has checked it). Nothing here calls any service:
the English is written by a person.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parents[1] / "outreach" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def load(path: Path = CATALOG):
    """Read the catalog."""
    with path.open("rb") as f:
        return read_po(f, locale="en")


def save(catalog, path: Path = CATALOG) -> None:
    """Write the catalog the way `pybabel update --no-wrap` does."""
    with path.open("wb") as f:
        write_po(f, catalog, width=None)


def needs_work(message) -> bool:
    """True when an entry is empty (either plural form) or still marked fuzzy."""
    if not message.id:
        return False
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return message.fuzzy or any(not s for s in strings)


def todo(limit: int | None) -> list[dict]:
    """The entries a translator still has to look at."""
    out = []
    for m in load():
        if not needs_work(m):
            continue
        plural = isinstance(m.id, (list, tuple))
        item = {"msgid": m.id[0] if plural else m.id, "msgstr": m.string, "fuzzy": m.fuzzy,
                "where": [f"{p}:{n}" for p, n in m.locations][:3]}
        if plural:
            item["msgid_plural"] = m.id[1]
        if m.previous_id:
            item["previous_msgid"] = m.previous_id
        out.append(item)
    return out[:limit] if limit else out


def apply(path: Path) -> int:
    """Merge {msgid: translation} from a JSON file into the catalog; return how many entries changed."""
    translations = json.loads(path.read_text(encoding="utf-8"))
    catalog = load()
    changed = 0
    for m in catalog:
        if not m.id:
            continue
        key = m.id[0] if isinstance(m.id, (list, tuple)) else m.id
        if key not in translations:
            continue
        value = translations[key]
        if isinstance(m.id, (list, tuple)):
            m.string = tuple(value) if isinstance(value, list) else (value, value)
        else:
            m.string = value
        m.flags.discard("fuzzy")
        m.previous_id = []
        changed += 1
    unknown = sorted(set(translations) - {(m.id[0] if isinstance(m.id, (list, tuple)) else m.id) for m in catalog})
    for key in unknown:
        print(f"not in catalog (skipped): {key!r}", file=sys.stderr)
    save(catalog)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("todo")
    t.add_argument("--limit", type=int)
    a = sub.add_parser("apply")
    a.add_argument("file", type=Path)
    sub.add_parser("stats")
    args = parser.parse_args(argv)
    if args.cmd == "todo":
        json.dump(todo(args.limit), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif args.cmd == "apply":
        print(f"updated {apply(args.file)} entries")
    else:
        catalog = load()
        entries = [m for m in catalog if m.id]
        print(f"entries={len(entries)} needing_work={sum(needs_work(m) for m in entries)} "
              f"fuzzy={sum(m.fuzzy for m in entries)} obsolete={len(catalog.obsolete)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
