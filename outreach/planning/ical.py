"""iCalendar feed of a team's sessions (RFC 5545, the `icalendar` package): plain Python, no Flask.

One VEVENT per session, with a UID that stays the same for the life of the session (a postponed
session moves in the phone's calendar instead of appearing twice). A multi-day session is one event
repeated daily (RRULE FREQ=DAILY;COUNT=n): the team works the same hours on each of its days.
Times carry the TZID of the office (Asia/Jakarta) and the feed includes its VTIMEZONE.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterable, Optional
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vGeo

from outreach import clock

PRODID = "-//Jemput Bola//Jadwal perekaman E-KTP//ID"
# Session status -> iCalendar STATUS.
STATUS = {"rencana": "TENTATIVE", "ditunda": "TENTATIVE", "terkonfirmasi": "CONFIRMED", "selesai": "CONFIRMED",
          "dibatalkan": "CANCELLED"}


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    summary: str
    date: date
    start: time
    end: time
    end_date: Optional[date] = None
    location: str = ""
    description: str = ""
    url: str = ""
    status: str = "rencana"
    sequence: int = 0
    last_modified: Optional[datetime] = None
    lat: Optional[float] = None
    lng: Optional[float] = None

    @property
    def days(self) -> int:
        return ((self.end_date or self.date) - self.date).days + 1


def _utc(dt: Optional[datetime]) -> datetime:
    if dt is None:
        return clock.utcnow()
    if dt.tzinfo is None:  # SQLite hands back naive datetimes: they are stored in UTC
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def build_feed(name: str, events: Iterable[FeedEvent], *, tz: str = "Asia/Jakarta",
               now: Optional[datetime] = None) -> bytes:
    """The feed as bytes (text/calendar; charset=utf-8)."""
    zone = ZoneInfo(tz)
    stamp = _utc(now)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz)
    for e in events:
        ev = Event()
        ev.add("uid", e.uid)
        ev.add("dtstamp", stamp)
        ev.add("summary", e.summary)
        ev.add("dtstart", datetime.combine(e.date, e.start, tzinfo=zone))
        ev.add("dtend", datetime.combine(e.date, e.end, tzinfo=zone))
        if e.days > 1:
            ev.add("rrule", {"freq": "daily", "count": e.days})
        if e.location:
            ev.add("location", e.location)
        if e.lat is not None and e.lng is not None:
            ev.add("geo", vGeo((e.lat, e.lng)))
        if e.description:
            ev.add("description", e.description)
        if e.url:
            ev.add("url", e.url)
        ev.add("status", STATUS.get(e.status, "TENTATIVE"))
        ev.add("sequence", max(int(e.sequence or 0), 0))
        if e.last_modified is not None:
            ev.add("last-modified", _utc(e.last_modified))
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()
