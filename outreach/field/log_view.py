"""The turnout log of one session as people read it: the figures under their labels, the actual times,
the kits, who logged it and when, and its correction history (who, when, old → new, why).

    load_log_view(user, session) -> LogView | None      for the session page; SessionNotFound when `user`
                                                        may not see the session (field.queries' check)
    log_detail(log) -> dict                             the API's log (field.serialize.log_to_dict) + history

A page costs three queries whatever the length of the history: the log with the users who stored and
last changed it, the audit entries with their users, and the codes of the kits the log and its history
mention.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import format_datetime
from sqlalchemy.orm import joinedload

from outreach import vocab
from outreach.extensions import db
from outreach.field import history, queries, rules, serialize
from outreach.i18n import gettext_here as _
from outreach.models import Kit
from outreach.models.field import TurnoutLog


@dataclass(frozen=True)
class ShownChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryRow:
    at: datetime                # office zone
    action: str
    user_name: Optional[str]
    reason: str
    changes: list[ShownChange]


@dataclass
class LogView:
    log: TurnoutLog
    recorded: list[tuple[str, int]]          # (label, count) per group, in the model's order
    by_sex: list[tuple[str, int]]
    not_recorded: list[tuple[str, int]]
    away: list[tuple[str, int]]
    started_at: Optional[datetime]           # office zone
    ended_at: Optional[datetime]
    kits: list[str]                          # codes of the kits used
    created_by: Optional[str]
    created_at: Optional[datetime]
    updated_by: Optional[str]
    updated_at: Optional[datetime]
    history: list[HistoryRow] = field(default_factory=list)
    can_correct: bool = False                # the user may correct the log now (field.queries.can_correct)

    @property
    def not_recorded_total(self) -> int:
        return sum(n for _label, n in self.not_recorded)

    @property
    def away_total(self) -> int:
        return sum(n for _label, n in self.away)

    @property
    def corrected(self) -> bool:
        return any(row.action == "update" for row in self.history)


def _labelled(labels: dict, values: dict) -> list[tuple[str, int]]:
    return [(label, int(values.get(key) or 0)) for key, label in labels.items()]


def _local(value: Optional[datetime], tz) -> Optional[datetime]:
    value = rules.as_utc(value)
    return value.astimezone(tz) if value is not None else None


def _user_name(user) -> Optional[str]:
    return (user.name or user.username) if user is not None else None


def _log_with_users(session_id: int) -> Optional[TurnoutLog]:
    return db.session.scalar(sa.select(TurnoutLog)
                             .options(joinedload(TurnoutLog.created_by), joinedload(TurnoutLog.updated_by))
                             .where(TurnoutLog.session_id == session_id))


def _kit_codes(ids) -> dict[int, str]:
    ids = sorted(i for i in ids if isinstance(i, int) and not isinstance(i, bool))
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Kit.id, Kit.code).where(Kit.id.in_(ids))).all())


def load_log_view(user, session) -> Optional[LogView]:
    """The session's log as its page shows it (None before the first log)."""
    queries.get_log_session(user, session.id)
    log = _log_with_users(session.id)
    if log is None:
        return None
    tz = queries.log_settings().tz
    entries = history.entries_from_audit(queries.log_history(log))
    codes = _kit_codes(set(log.kit_ids or []) | history.kit_ids_in(entries))
    yes_no = (_("ya"), _("tidak"))

    def moment(dt: datetime) -> str:
        return format_datetime(dt, "d MMM y HH.mm")

    rows = [HistoryRow(at=e.at.astimezone(tz), action=e.action, user_name=e.user_name, reason=e.reason,
                       changes=[ShownChange(c.label, history.display_value(c.column, c.old, tz, codes, yes_no, moment),
                                            history.display_value(c.column, c.new, tz, codes, yes_no, moment))
                                for c in e.changes])
            for e in entries]
    return LogView(
        log=log,
        recorded=_labelled(vocab.recorded_group_labels(), log.recorded),
        by_sex=_labelled(vocab.sex_labels(), log.recorded_by_sex),
        not_recorded=_labelled(vocab.not_recorded_labels(), log.not_recorded),
        away=_labelled(vocab.away_reason_labels(), log.away),
        started_at=_local(log.started_at, tz), ended_at=_local(log.ended_at, tz),
        kits=[codes.get(k, f"#{k}") for k in sorted(log.kit_ids or [])],
        created_by=_user_name(log.created_by), created_at=_local(log.created_at, tz),
        updated_by=_user_name(log.updated_by), updated_at=_local(log.updated_at, tz),
        history=rows, can_correct=queries.can_correct(user, log))


def log_detail(log: TurnoutLog) -> dict:
    """The log as the API shows it, with its `history` (newest first; times in the office zone)."""
    out = serialize.log_to_dict(log)
    out["history"] = history.history_to_dicts(history.entries_from_audit(queries.log_history(log)),
                                              queries.log_settings().tz)
    return out
