"""The history of a turnout log, shaped from its audit entries: who changed which figure, from what to
what, and why. Plain Python (no Flask, no database): outreach.field.log_view loads the entries.

    entries_from_audit(rows, label=None) -> [HistoryEntry]    newest first, as the rows come
    history_to_dicts(entries, tz) -> [dict]                   the API's `history` list
    display_value(column, value, tz, kit_codes) -> str        one old/new value as the session page shows it

An audit entry of a log holds {column: [old, new]} (times as UTC ISO strings, kits as id lists) and the
reason the user gave. Logs stored before corrections had a reason kept a note of the figures they moved
in that field ("known_away.luar_negeri +3"); such a note is not a reason and is left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any, Callable, Iterable, Mapping, Optional

# The note earlier versions wrote where the reason now goes: "known_away.<reason> +n; site.… -n".
_FIGURES_NOTE = re.compile(r"(?:known_away\.\w+|site\.pemilih_pemula_recorded) [+-]\d+"
                           r"(?:; (?:known_away\.\w+|site\.pemilih_pemula_recorded) [+-]\d+)*")
TIME_COLUMNS = frozenset({"started_at", "ended_at"})


@dataclass(frozen=True)
class Change:
    column: str          # the log's column, as the audit entry names it (e.g. "recorded_umum")
    label: str           # what people read (e.g. "Terekam: Umum")
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime                    # aware, UTC
    action: str                     # "create" (the first log) or "update" (a correction)
    user_id: Optional[int]
    user_name: Optional[str]
    reason: str
    changes: list[Change] = field(default_factory=list)


def _as_utc(value: Optional[datetime]) -> Optional[datetime]:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def user_reason(text: Optional[str]) -> str:
    """The reason a user gave, or "" for none (or for an earlier version's note of the figures moved)."""
    text = (text or "").strip()
    return "" if _FIGURES_NOTE.fullmatch(text) else text


def entries_from_audit(rows: Iterable, label: Optional[Callable[[str], str]] = None) -> list[HistoryEntry]:
    """HistoryEntry per audit row (anything with at, action, user_id, user, changes, reason), in the
    rows' order; `label` names a column (default: outreach.vocab.log_field_label)."""
    if label is None:
        from outreach.vocab import log_field_label as label
    out = []
    for row in rows:
        user = getattr(row, "user", None)
        name = (user.name or user.username) if user is not None else None
        changes = [Change(column, label(column), *_pair(pair)) for column, pair in (row.changes or {}).items()]
        out.append(HistoryEntry(at=_as_utc(row.at), action=row.action, user_id=row.user_id, user_name=name,
                                reason=user_reason(row.reason), changes=changes))
    return out


def _pair(pair) -> tuple[Any, Any]:
    if isinstance(pair, (list, tuple)) and len(pair) == 2:
        return pair[0], pair[1]
    return None, pair


def _local_iso(value, tz: tzinfo) -> Any:
    """A stored UTC ISO time as ISO in the office zone (…+07:00); anything else unchanged."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return _as_utc(moment).astimezone(tz).isoformat()


def history_to_dicts(entries: Iterable[HistoryEntry], tz: tzinfo) -> list[dict]:
    """The API's history: [{at, action, user: {id, name} | null, changes: {column: [old, new]}, reason}],
    times in the office zone."""
    out = []
    for e in entries:
        changes = {c.column: ([_local_iso(c.old, tz), _local_iso(c.new, tz)] if c.column in TIME_COLUMNS
                              else [c.old, c.new]) for c in e.changes}
        out.append({"at": e.at.astimezone(tz).isoformat(), "action": e.action,
                    "user": {"id": e.user_id, "name": e.user_name} if e.user_id is not None else None,
                    "changes": changes, "reason": e.reason})
    return out


def kit_ids_in(entries: Iterable[HistoryEntry]) -> set[int]:
    """Every kit id an old or new value of the entries mentions (to name them in one query)."""
    found: set[int] = set()
    for e in entries:
        for c in e.changes:
            if c.column == "kit_ids":
                for value in (c.old, c.new):
                    found.update(v for v in (value or []) if isinstance(v, int) and not isinstance(v, bool))
    return found


def display_value(column: str, value, tz: tzinfo, kit_codes: Mapping[int, str],
                  yes_no: tuple[str, str] = ("ya", "tidak"),
                  moment: Optional[Callable[[datetime], str]] = None) -> str:
    """One old or new value as people read it: times in the office zone (written by `moment`, e.g. the
    page's "2 Des 2026 08.20"; without it "2026-12-02 08:20"), kits by code, yes/no, "–" for nothing."""
    if value is None or value == "" or value == []:
        return "–"
    if column in TIME_COLUMNS:
        local = _local_iso(value, tz)
        if moment is not None and isinstance(local, str):
            return moment(datetime.fromisoformat(local))
        return local[:16].replace("T", " ") if isinstance(local, str) else str(local)
    if column == "kit_ids" and isinstance(value, (list, tuple)):
        return ", ".join(kit_codes.get(k, f"#{k}") for k in value)
    if isinstance(value, bool):
        return yes_no[0] if value else yes_no[1]
    return str(value)
