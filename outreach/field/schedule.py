"""What the field pages show: the user's sessions sorted into waiting / today / coming / logged.

`classify` is plain Python (takes plain values, no Flask, no database); `load_schedule` and
`load_log_page` run the few queries the pages need (sessions with site, team, kits and
postponements; their logs; region names) whatever the number of sessions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterable, Optional

# How far the schedule looks back for sessions still waiting for their log, and ahead for coming ones.
LOOKBACK_DAYS = 60
AHEAD_DAYS = 30
# Logged sessions stay on the schedule this long (to correct a log within the corrections window).
LOGGED_DAYS = 14
# Log forms the service worker keeps for the coming days (offline on the morning of a session).
CACHE_AHEAD_DAYS = 3
MAX_SESSIONS = 200


@dataclass(frozen=True)
class Timing:
    """A session's slot and state, as plain values."""
    id: int
    first_day: date
    last_day: date
    start: time
    end: time
    status: str
    has_log: bool


@dataclass
class Sorted:
    waiting: list = field(default_factory=list)   # ended, no log yet: flagged at the top
    today: list = field(default_factory=list)     # runs today, all day long (ended ones included)
    coming: list = field(default_factory=list)    # first day after today
    logged: list = field(default_factory=list)    # ended recently and logged (correction possible)
    awaiting: list = field(default_factory=list)  # of `today`: ended, no log yet (marked on the card)


def started(t: Timing, now: datetime) -> bool:
    return datetime.combine(t.first_day, t.start) <= now


def ended(t: Timing, now: datetime) -> bool:
    return datetime.combine(t.last_day, t.end) <= now


def classify(items: Iterable[Timing], now: datetime) -> Sorted:
    """Sort sessions for the schedule; `now` is the office's local wall-clock time (naive).

    Cancelled sessions are left out. A session running today stays under `today` for the whole day,
    also once it has ended (then, without a log, it is in `awaiting` too), so the team finds the day's
    work where it looks for it. `waiting` is oldest first (the longest overdue on top), `today` and
    `coming` by date and time, `logged` most recent first.
    """
    out = Sorted()
    today = now.date()
    for t in sorted(items, key=lambda t: (t.first_day, t.start, t.id)):
        if t.status == "dibatalkan":
            continue
        if t.first_day <= today <= t.last_day:
            out.today.append(t.id)
            if ended(t, now) and not t.has_log:
                out.awaiting.append(t.id)
        elif ended(t, now):
            if not t.has_log:
                out.waiting.append(t.id)
            elif t.last_day >= today - timedelta(days=LOGGED_DAYS):
                out.logged.append(t.id)
        else:
            out.coming.append(t.id)
    out.logged.reverse()  # most recent first
    return out


def cache_ids(sorted_: Sorted, timings: dict[int, Timing], today: date,
              correctable: Optional[set] = None) -> list[int]:
    """Sessions whose log form the phone keeps for offline use: those to log, and the logged ones the
    user may still correct (`correctable`; None: all), not the read-only forms of closed logs."""
    soon = today + timedelta(days=CACHE_AHEAD_DAYS)
    coming = [i for i in sorted_.coming if timings[i].first_day <= soon]
    logged = [i for i in sorted_.logged if correctable is None or i in correctable]
    return sorted_.waiting + sorted_.today + coming + logged


# ---------------------------------------------------------------- queries (need the app)

def _timing(s, has_log: bool) -> Timing:
    return Timing(id=s.id, first_day=s.date, last_day=s.end_date or s.date, start=s.start_time, end=s.end_time,
                  status=s.status, has_log=has_log)


def load_schedule(user, now: datetime) -> dict:
    """Sessions of the schedule page (visible to `user`) around `now`, sorted, with their logs."""
    import sqlalchemy as sa
    from sqlalchemy.orm import joinedload, selectinload

    from outreach.extensions import db
    from outreach.field.queries import can_correct, logs_by_session
    from outreach.models import RecordingSession as RS
    from outreach.permissions import sessions_clause

    today = now.date()
    q = (sa.select(RS)
         .options(joinedload(RS.site), joinedload(RS.team), selectinload(RS.kits), selectinload(RS.postponements))
         .where(sessions_clause(user), RS.status != "dibatalkan",
                RS.date >= today - timedelta(days=LOOKBACK_DAYS), RS.date <= today + timedelta(days=AHEAD_DAYS))
         .order_by(RS.date.desc(), RS.start_time.desc(), RS.id.desc())
         .limit(MAX_SESSIONS))
    sessions = list(db.session.scalars(q).unique())
    logs = logs_by_session(s.id for s in sessions)
    timings = {s.id: _timing(s, s.id in logs) for s in sessions}
    sorted_ = classify(timings.values(), now)
    return {"sessions": {s.id: s for s in sessions}, "logs": logs, "timings": timings, "sorted": sorted_,
            "cache_ids": cache_ids(sorted_, timings, today, {i for i, log in logs.items() if can_correct(user, log)})}


def session_timing(s, has_log: bool) -> Timing:
    return _timing(s, has_log)


def kits_for_log(user, s) -> list:
    """Kits to tick on the log form: the session's own, then the other kits of its team."""
    from outreach.planning.queries import visible_kits

    seen = {k.id: k for k in s.kits}
    for kit in visible_kits(user, team_id=s.team_id):
        seen.setdefault(kit.id, kit)
    booked = {k.id for k in s.kits}
    return sorted(seen.values(), key=lambda k: (k.id not in booked, k.code))


def tel_href(phone: Optional[str]) -> Optional[str]:
    """'tel:' link of a phone number as people write it ('0812-3456 7890', '+62 812...'); None when empty."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if digits.count("+") > 1 or "+" in digits[1:]:
        digits = digits.replace("+", "")
    return f"tel:{digits}" if sum(ch.isdigit() for ch in digits) >= 3 else None
