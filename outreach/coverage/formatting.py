"""Numbers and dates of the coverage pages in the request's locale: the table filters, Babel's
formatters handed to the pure chart module, and the reading of a date typed into a page's form."""
from __future__ import annotations

from datetime import date
from typing import Optional

from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _

from outreach import input_limits


class Numbers:
    """Fast number formatting in one locale for tables of hundreds of rows (Babel's per-call lookup of
    the request's locale costs more than the page's queries): the separators are read once."""

    def __init__(self, locale):
        from babel.numbers import get_decimal_symbol, get_group_symbol
        self.group = get_group_symbol(locale)
        self.decimal = get_decimal_symbol(locale)

    def _swap(self, text: str) -> str:
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.group)

    def number(self, value) -> str:
        """1234567 -> "1.234.567" (the `number` filter's output, #,##0)."""
        if value is None:
            return "–"
        return self._swap(f"{round(value):,}")

    def percent(self, value) -> str:
        """97.456 -> "97,5%" (the `percent` filter's output, #,##0.0)."""
        if value is None:
            return "–"
        return self._swap(f"{value:,.1f}") + "%"

    def fixed1(self, value) -> str:
        """12 -> "12,0": one decimal always (columns of rates line up)."""
        if value is None:
            return "–"
        return self._swap(f"{value:,.1f}")

    def decimal1(self, value) -> str:
        """12.54 -> "12,5"; 12.0 -> "12" (#,##0.#)."""
        if value is None:
            return "–"
        text = f"{value:,.1f}"
        if text.endswith(".0"):
            text = text[:-2]
        return self._swap(text)


def template_helpers() -> dict:
    """The coverage templates' formatters (num, pct, decimal1, fixed1, day, overdue_text)."""
    numbers = Numbers(get_locale())
    dates: dict = {}

    def day(value, fmt="d MMM yyyy"):
        """format_date, remembered per (date, pattern) for the length of the request."""
        if value is None:
            return "–"
        key = (value, fmt)
        if key not in dates:
            dates[key] = format_date(value, fmt)
        return dates[key]

    return {"num": numbers.number, "pct": numbers.percent, "decimal1": numbers.decimal1, "fixed1": numbers.fixed1,
            "day": day, "overdue_text": overdue_text}


def overdue_text(hours) -> str:
    """How late a log is: hours under two days, whole days after that."""
    hours = max(float(hours or 0), 0)
    if hours < 48:
        return _("%(n)s jam", n=int(round(hours)))
    return _("%(n)s hari", n=int(hours // 24))


def fmt_number(value) -> str:
    return "–" if value is None else format_decimal(value, format="#,##0")


def chart_formatters() -> dict:
    """Babel's formatters in the request's locale, for the pure chart module."""
    return {"fmt_number": fmt_number, "fmt_date": lambda d: format_date(d, "d MMM yyyy"),
            "fmt_tick_date": lambda d: format_date(d, "d MMM"), "fmt_tick_month": lambda d: format_date(d, "MMM yyyy")}


def parse_date_arg(raw: Optional[str], label: str) -> tuple[Optional[date], Optional[str]]:
    """A YYYY-MM-DD query argument: (date, None), (None, None) when empty, (None, message) when unreadable."""
    raw = (raw or "").strip()
    if not raw:
        return None, None
    try:
        parsed = date.fromisoformat(raw)
    except ValueError:
        return None, _("%(label)s \"%(raw)s\" bukan tanggal. Tulis tanggal sebagai TTTT-BB-HH, mis. 2026-09-15.",
                       label=label, raw=raw[:20])
    if not input_limits.date_in_range(parsed):
        return None, input_limits.date_range_message(label)
    return parsed, None


def backwards_range_message(date_from: date, date_to: date) -> str:
    """The pages' message for a start date after the end date."""
    return _("Rentang tanggal terbalik: tanggal awal (%(a)s) sesudah tanggal akhir (%(b)s).",
             a=format_date(date_from, "d MMM yyyy"), b=format_date(date_to, "d MMM yyyy"))
