"""Server-side SVG charts (no Flask, no JavaScript): backlog trends over dates and rankings as bars.

Every chart is a self-contained `<svg>` string (returned as `markupsafe.Markup`, ready for a template)
that works offline, prints in black and white and does not rely on colour alone: series differ by
colour (Okabe–Ito palette, safe for colour-blind readers), line style and marker shape, flagged bars
carry a hatch pattern and a text label. Every label is XML-escaped; every point and bar has a
`<title>` so hovering shows its exact value. Numbers and dates are formatted by callables the caller
passes (the views hand in Babel's formatters), so this module needs no locale of its own.

    line_chart([Series("Belum rekam", [(date, value), ...])], title=..., markers=[Marker(day, "Tenggat")])
    bar_chart([Bar("Kecamatan A", 1234, href="/dasbor/33.74.01")], title=...)

Why one module of about 430 lines: it is one drawing kit. The two chart functions share the frame, the
palette, the scales (`nice_ticks`, `date_ticks`) and the SVG pieces (escaping, markers, text widths);
split, those private helpers would become a public API for two callers. What each page draws is
built elsewhere (`page_charts`, `team_page`).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape
from typing import Callable, Iterable, Optional, Sequence

from markupsafe import Markup

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 2")
MARKERS = ("circle", "square", "triangle", "diamond", "circle")
BAR_COLOUR = "#0072B2"
FLAG_COLOUR = "#D55E00"
TEXT = "#212529"
MUTED = "#5c636a"
GRID = "#d9dde1"
# A white outline behind text, so grid lines and rules never cut through a label.
HALO = 'paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round"'
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")

_ids = itertools.count(1)


def _default_number(value: float) -> str:
    """1234567 -> "1.234.567" (Indonesian grouping); the views pass Babel's formatter instead."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".")


def _default_date(day: date) -> str:
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def _default_short_date(day: date) -> str:
    return f"{day.day} {MONTHS_ID[day.month - 1]}"


def _default_month(day: date) -> str:
    return f"{MONTHS_ID[day.month - 1]} {day.year}"


def _e(text) -> str:
    """Escape text for XML content and attribute values."""
    return escape("" if text is None else str(text), quote=True)


def _n(x: float) -> str:
    """A coordinate with at most one decimal."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- data

@dataclass(frozen=True)
class Series:
    """One line: points (day, value); a None value breaks the line (no data that day)."""
    label: str
    points: Sequence[tuple[date, Optional[float]]]


@dataclass(frozen=True)
class Marker:
    """A vertical rule on the date axis (today, a deadline, the date of a SIAK export)."""
    day: date
    label: str


@dataclass(frozen=True)
class Bar:
    """One bar of a ranking. `value_text` replaces the formatted value; `flag` marks it (hatched, labelled)."""
    label: str
    value: Optional[float]
    href: Optional[str] = None
    value_text: Optional[str] = None
    flag: bool = False
    note: str = ""


@dataclass(frozen=True)
class Reference:
    """A vertical reference line across a bar chart (e.g. the deadline), at `value` on the value axis."""
    value: float
    label: str


@dataclass
class _Frame:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    extra: list = field(default_factory=list)

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom


# ---------------------------------------------------------------- scales

def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `maximum` (0, 250, 500, ...)."""
    if maximum is None or maximum <= 0 or not math.isfinite(maximum):
        return [0, 1]
    raw = maximum / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if raw <= step * magnitude:
            break
    step = step * magnitude
    if step >= 1:
        step = round(step)
    top = math.ceil(maximum / step) * step
    n = int(round(top / step))
    return [round(i * step, 10) for i in range(n + 1)]


def date_ticks(first: date, last: date, max_ticks: int = 8) -> list[date]:
    """Readable dates between first and last: days, Mondays, 1st of months or of quarters/years."""
    if last < first:
        first, last = last, first
    span = (last - first).days
    if span <= max_ticks:
        return [first + timedelta(days=i) for i in range(span + 1)]
    for step_days in (2, 7, 14):
        if span / step_days <= max_ticks:
            start = first
            if step_days >= 7:  # weeks start on Monday
                start = first + timedelta(days=(7 - first.weekday()) % 7)
            out, d = [], start
            while d <= last:
                out.append(d)
                d += timedelta(days=step_days)
            return out
    for months in (1, 2, 3, 6, 12, 24, 60):
        if span / (30.44 * months) <= max_ticks:
            out = []
            y, m = first.year, first.month
            # first tick: the 1st of a month on the step's grid, on or after `first`
            d = date(y, m, 1)
            if d < first:
                m += 1
                if m > 12:
                    y, m = y + 1, 1
            while True:
                idx = y * 12 + (m - 1)
                if idx % months == 0:
                    break
                m += 1
                if m > 12:
                    y, m = y + 1, 1
            while True:
                d = date(y, m, 1)
                if d > last:
                    break
                out.append(d)
                idx = y * 12 + (m - 1) + months
                y, m = divmod(idx, 12)
                m += 1
            return out or [first, last]
    return [first, last]


# ---------------------------------------------------------------- svg pieces

def _open(frame: _Frame, title: str, desc: str, cid: str, testid: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="jb-chart" data-testid="{_e(testid)}" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'role="img" aria-labelledby="{cid}-t {cid}-d" font-family="{_e(FONT)}" font-size="12" '
        f'style="max-width:{frame.width}px;height:auto">',
        f'<title id="{cid}-t">{_e(title)}</title>',
        f'<desc id="{cid}-d">{_e(desc or title)}</desc>',
        f'<rect x="0" y="0" width="{frame.width}" height="{frame.height}" fill="#ffffff"/>',
    ]


def _marker_shape(kind: str, x: float, y: float, colour: str, tip: str) -> str:
    tip_el = f"<title>{_e(tip)}</title>"
    if kind == "square":
        return (f'<rect x="{_n(x - 3.5)}" y="{_n(y - 3.5)}" width="7" height="7" fill="{colour}" '
                f'stroke="#fff" stroke-width="1">{tip_el}</rect>')
    if kind == "triangle":
        pts = f"{_n(x)},{_n(y - 4.5)} {_n(x + 4.5)},{_n(y + 3.5)} {_n(x - 4.5)},{_n(y + 3.5)}"
        return f'<polygon points="{pts}" fill="{colour}" stroke="#fff" stroke-width="1">{tip_el}</polygon>'
    if kind == "diamond":
        pts = f"{_n(x)},{_n(y - 4.5)} {_n(x + 4.5)},{_n(y)} {_n(x)},{_n(y + 4.5)} {_n(x - 4.5)},{_n(y)}"
        return f'<polygon points="{pts}" fill="{colour}" stroke="#fff" stroke-width="1">{tip_el}</polygon>'
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{colour}" stroke="#fff" stroke-width="1">{tip_el}</circle>'


# Average glyph width of a sans-serif face relative to its size, on the generous side so labels never
# run off the left edge (there is no font engine here to measure them).
GLYPH = 0.62


def _text_width(text: str, size: float = 12) -> float:
    """A rough width of `text` in pixels (enough to lay out labels without a font engine)."""
    return len(text) * size * GLYPH


def _clip(text: str, max_px: float, size: float = 12) -> str:
    if _text_width(text, size) <= max_px:
        return text
    keep = max(int(max_px / (size * GLYPH)) - 1, 1)
    return text[:keep] + "…"


# ---------------------------------------------------------------- line chart

def line_chart(series: Sequence[Series], *, title: str, desc: str = "", markers: Iterable[Marker] = (),
               width: int = 760, height: int = 300, empty_text: str = "Belum ada data untuk digambar.",
               fmt_number: Callable[[float], str] = _default_number,
               fmt_date: Callable[[date], str] = _default_date,
               fmt_tick_date: Callable[[date], str] = _default_short_date,
               fmt_tick_month: Callable[[date], str] = _default_month,
               y_label: str = "", testid: str = "line-chart") -> Markup:
    """A line chart over a date axis: one line per series, a legend, y from zero, vertical markers."""
    cid = f"jbc{next(_ids)}"
    markers = list(markers)
    series = [s for s in series if s.points]
    pts = [(d, v) for s in series for d, v in s.points if v is not None]
    legend_rows = 1 if series else 0
    frame = _Frame(width=width, height=height, left=12, right=16, top=18 + 20 * legend_rows + (14 if y_label else 0),
                   bottom=44)
    out = _open(frame, title, desc, cid, testid)
    if not pts:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{MUTED}">'
                   f'{_e(empty_text)}</text>')
        out.append("</svg>")
        return Markup("".join(out))

    days = [d for d, _ in pts] + [m.day for m in markers]
    first, last = min(days), max(days)
    if first == last:
        first, last = first - timedelta(days=1), last + timedelta(days=1)
    ticks = nice_ticks(max(v for _, v in pts))
    y_max = ticks[-1]
    tick_labels = [fmt_number(t) for t in ticks]
    frame.left = int(max(_text_width(t) for t in tick_labels) + 16)
    span = (last - first).days

    def x_of(d: date) -> float:
        return frame.left + frame.plot_w * (d - first).days / span

    def y_of(v: float) -> float:
        return frame.top + frame.plot_h * (1 - v / y_max)

    # legend: colour + line style + marker shape, so it reads in grey print as well
    if series:
        x = frame.left
        ly = 16
        out.append('<g class="legend">')
        for i, s in enumerate(series):
            colour, dash, shape = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)], MARKERS[i % len(MARKERS)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<line x1="{_n(x)}" y1="{ly - 4}" x2="{_n(x + 26)}" y2="{ly - 4}" stroke="{colour}" '
                       f'stroke-width="2.5"{dash_attr}/>')
            out.append(_marker_shape(shape, x + 13, ly - 4, colour, s.label))
            out.append(f'<text x="{_n(x + 32)}" y="{ly}" fill="{TEXT}">{_e(s.label)}</text>')
            x += 32 + _text_width(s.label) + 22
        out.append("</g>")
    if y_label:
        out.append(f'<text x="{frame.left}" y="{frame.top - 8}" fill="{MUTED}" font-size="11">{_e(y_label)}</text>')

    # grid and y axis
    out.append('<g class="y-axis">')
    for t, label in zip(ticks, tick_labels):
        y = y_of(t)
        out.append(f'<line x1="{frame.left}" y1="{_n(y)}" x2="{_n(frame.left + frame.plot_w)}" y2="{_n(y)}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{frame.left - 6}" y="{_n(y + 4)}" text-anchor="end" fill="{MUTED}">{_e(label)}</text>')
    out.append("</g>")

    # x axis with dated ticks
    base = frame.top + frame.plot_h
    out.append('<g class="x-axis">')
    out.append(f'<line x1="{frame.left}" y1="{_n(base)}" x2="{_n(frame.left + frame.plot_w)}" y2="{_n(base)}" '
               f'stroke="{TEXT}" stroke-width="1"/>')
    x_ticks = date_ticks(first, last, max_ticks=max(int(frame.plot_w // 90), 2))
    monthly = len(x_ticks) > 1 and all(d.day == 1 for d in x_ticks) and (x_ticks[1] - x_ticks[0]).days >= 28
    for d in x_ticks:
        x = x_of(d)
        out.append(f'<line x1="{_n(x)}" y1="{_n(base)}" x2="{_n(x)}" y2="{_n(base + 5)}" stroke="{TEXT}"/>')
        out.append(f'<text x="{_n(x)}" y="{_n(base + 18)}" text-anchor="middle" fill="{MUTED}" '
                   f'data-date="{d.isoformat()}">{_e(fmt_tick_month(d) if monthly else fmt_tick_date(d))}</text>')
    out.append("</g>")

    # markers (today, deadline, ...)
    for m in markers:
        x = x_of(m.day)
        anchor = "end" if x > frame.left + frame.plot_w * 0.75 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(f'<g class="marker"><line x1="{_n(x)}" y1="{frame.top}" x2="{_n(x)}" y2="{_n(base)}" '
                   f'stroke="{TEXT}" stroke-width="1.2" stroke-dasharray="3 3"/>'
                   f'<text x="{_n(x + dx)}" y="{frame.top + 11}" text-anchor="{anchor}" fill="{TEXT}" '
                   f'font-size="11" {HALO}>{_e(m.label)} ({_e(fmt_date(m.day))})</text></g>')

    # the lines
    for i, s in enumerate(series):
        colour, dash, shape = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)], MARKERS[i % len(MARKERS)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        ordered = sorted(s.points, key=lambda p: p[0])
        segments, current = [], []
        for d, v in ordered:
            if v is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append((x_of(d), y_of(v)))
        if current:
            segments.append(current)
        out.append(f'<g class="series" data-series="{_e(s.label)}">')
        for seg in segments:
            path = " ".join(f"{_n(x)},{_n(y)}" for x, y in seg)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5" '
                       f'stroke-linejoin="round"{dash_attr}/>')
        show_markers = len(ordered) <= 40  # beyond that the markers merge into a thick line
        for d, v in ordered:
            if v is None:
                continue
            if show_markers:
                out.append(_marker_shape(shape, x_of(d), y_of(v), colour,
                                         f"{s.label}, {fmt_date(d)}: {fmt_number(v)}"))
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


# ---------------------------------------------------------------- horizontal bar chart

def bar_chart(bars: Sequence[Bar], *, title: str, desc: str = "", width: int = 760, bar_height: int = 22,
              reference: Optional[Reference] = None, empty_text: str = "Belum ada data untuk digambar.",
              flag_text: str = "", fmt_number: Callable[[float], str] = _default_number,
              label_width: Optional[int] = None, testid: str = "bar-chart") -> Markup:
    """Horizontal bars, one per labelled value, longest scale from zero; bars with `href` are links."""
    cid = f"jbc{next(_ids)}"
    gap = 8
    top = 10
    values = [b.value for b in bars if b.value is not None and b.value > 0]
    ref_top = 16 if reference else 0
    axis_h = 26
    height = top + ref_top + max(len(bars), 1) * (bar_height + gap) + axis_h
    frame = _Frame(width=width, height=height, left=0, right=0, top=top + ref_top, bottom=axis_h)
    out = _open(frame, title, desc, cid, testid)
    if not bars:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{MUTED}">'
                   f'{_e(empty_text)}</text></svg>')
        return Markup("".join(out))
    pattern = f"{cid}-hatch"
    out.append(f'<defs><pattern id="{pattern}" patternUnits="userSpaceOnUse" width="6" height="6" '
               f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{FLAG_COLOUR}"/>'
               f'<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>')
    value_texts = [b.value_text if b.value_text is not None else fmt_number(b.value) for b in bars]
    lw = label_width or int(min(max(_text_width(b.label) for b in bars) + 14, width * 0.36))
    vw = int(max(_text_width(t + (" " + flag_text if b.flag and flag_text else "")) for t, b in zip(value_texts, bars))
             + 10)
    frame.left, frame.right = lw, vw
    peak = max(values + ([reference.value] if reference else []) or [1])
    ticks = nice_ticks(peak, count=4)
    scale_max = ticks[-1]

    def x_of(v: float) -> float:
        return frame.left + frame.plot_w * max(min(v, scale_max), 0) / scale_max

    base = frame.top + len(bars) * (bar_height + gap)
    for t in ticks:
        x = x_of(t)
        out.append(f'<line x1="{_n(x)}" y1="{frame.top - 2}" x2="{_n(x)}" y2="{_n(base)}" stroke="{GRID}"/>')
        out.append(f'<text x="{_n(x)}" y="{_n(base + 16)}" text-anchor="middle" fill="{MUTED}" '
                   f'font-size="11">{_e(fmt_number(t))}</text>')
    if reference is not None:
        x = x_of(reference.value)
        out.append(f'<g class="reference"><line x1="{_n(x)}" y1="{top}" x2="{_n(x)}" y2="{_n(base)}" stroke="{TEXT}" '
                   f'stroke-width="1.5" stroke-dasharray="4 3"/>'
                   f'<text x="{_n(x)}" y="{top + 10}" text-anchor="middle" fill="{TEXT}" font-size="11" {HALO}>'
                   f'{_e(reference.label)}</text></g>')
    for i, (b, vt) in enumerate(zip(bars, value_texts)):
        y = frame.top + i * (bar_height + gap)
        mid = y + bar_height / 2 + 4
        label = _clip(b.label, lw - 10)
        tip = f"{b.label}: {vt}" + (f" — {b.note}" if b.note else "") + (f" ({flag_text})" if b.flag and flag_text else "")
        label_el = f'<text x="{lw - 8}" y="{_n(mid)}" text-anchor="end" fill="{TEXT}">{_e(label)}</text>'
        body = []
        if b.value is not None and b.value > 0:
            w = max(x_of(b.value) - frame.left, 1.5)
            fill = f"url(#{pattern})" if b.flag else BAR_COLOUR
            stroke = f' stroke="{FLAG_COLOUR}" stroke-width="1"' if b.flag else ""
            body.append(f'<rect x="{frame.left}" y="{_n(y)}" width="{_n(w)}" height="{bar_height}" fill="{fill}"'
                        f'{stroke}><title>{_e(tip)}</title></rect>')
            vx = frame.left + w + 5
        else:
            vx = frame.left + 5
        flag_el = f' <tspan font-weight="700" fill="{FLAG_COLOUR}">{_e(flag_text)}</tspan>' if b.flag and flag_text else ""
        body.append(f'<text x="{_n(vx)}" y="{_n(mid)}" fill="{TEXT}" {HALO}>{_e(vt)}{flag_el}</text>')
        row = f'<g class="bar{" flagged" if b.flag else ""}" data-label="{_e(b.label)}"><title>{_e(tip)}</title>' \
              + label_el + "".join(body) + "</g>"
        if b.href:
            row = f'<a href="{_e(b.href)}">{row}</a>'
        out.append(row)
    out.append(f'<line x1="{frame.left}" y1="{frame.top - 2}" x2="{frame.left}" y2="{_n(base)}" stroke="{TEXT}"/>')
    out.append("</svg>")
    return Markup("".join(out))
