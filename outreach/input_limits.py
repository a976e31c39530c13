"""Bounds of what a request may ask for, shared by every parser: dates the calendar arithmetic can handle,
ids the database can hold, page numbers a list can reach. Plain Python, no Flask, no database.

- Dates: 1900-01-01 .. 2100-12-31. Outside it a date is refused with a message (forms, the API) or, where a
  page already falls back for an unreadable date (the calendar's month), treated like one. Inside it, a
  week or a few months either side never leaves Python's date range (0001..9999).
- Ids: 1 .. 2**31-1 (PostgreSQL INTEGER). An id outside it cannot exist: "not found", never a query.
- Pages of the web lists: a page number that is not a whole number from 1 is page 1; one past MAX_PAGE is
  MAX_PAGE (clamped), whose list is empty or a 404 like any page past the end. The API refuses a page that
  is not a whole number from 1 with a message (its clients should learn that the parameter is wrong) and
  clamps one past MAX_PAGE the same way (an empty page).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from outreach import DB_INT_MAX
from outreach.i18n import gettext_here as _

FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2100, 12, 31)
MAX_PAGE = 1_000_000


def date_in_range(value) -> bool:
    """True for a date (or datetime) between FIRST_DATE and LAST_DATE."""
    if isinstance(value, datetime):
        value = value.date()
    return FIRST_DATE <= value <= LAST_DATE


def date_range_message(label: str) -> str:
    return _("%(label)s harus di antara %(first)s dan %(last)s.", label=label, first=FIRST_DATE.isoformat(),
             last=LAST_DATE.isoformat())


def iso_date(raw) -> Optional[date]:
    """A YYYY-MM-DD text within the range as a date; None when blank, unreadable or out of range."""
    try:
        value = date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None
    return value if date_in_range(value) else None


def db_id(raw) -> Optional[int]:
    """A database id from a query value or a JSON number; None when it is not one (or cannot exist)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        number = raw
    else:
        text = str(raw if raw is not None else "").strip()
        if not text.isascii() or not text.isdigit():
            return None
        if len(text) > 12:
            return None
        number = int(text)
    return number if 1 <= number <= DB_INT_MAX else None


def page_number(raw, default: int = 1) -> int:
    """A web list's page: a whole number 1..MAX_PAGE (clamped); anything else is `default`."""
    text = str(raw if raw is not None else "").strip()
    if not text.isascii() or not text.isdigit():
        return default
    if len(text) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(text), 1), MAX_PAGE)
