"""Colour classes of the coverage maps: sequential ColorBrewer scales, class breaks, legend rows.

Pure Python. Both scales are 5-class sequential ColorBrewer schemes marked colour-blind safe and
print friendly by ColorBrewer (colorbrewer2.org, Cynthia Brewer, Apache-2.0 licensed colours):
- percentage recorded: YlGnBu (pale = behind, dark blue = nearly all recorded);
- reachable backlog: YlOrRd (pale = little left, dark red = most left to record).
Areas without figures are light grey and listed as "tanpa data" in the legend.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

METRICS = ("percent_recorded", "reachable_backlog")

YLGNBU_5 = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
YLORRD_5 = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#d9d9d9"
PALETTES = {"percent_recorded": YLGNBU_5, "reachable_backlog": YLORRD_5}

# Percentage recorded: fixed breaks so a colour means the same everywhere and over time
# (the article's province stood at 98%). Overridable by the MAP_PERCENT_BREAKS setting.
DEFAULT_PERCENT_BREAKS = (95.0, 97.0, 98.0, 99.0)


@dataclass(frozen=True)
class Scale:
    """`breaks` are the lower bounds of classes 1..n-1: class i holds breaks[i-1] <= v < breaks[i]."""

    metric: str
    breaks: tuple
    colors: tuple

    def classify(self, value: Optional[float]) -> Optional[int]:
        """Class index 0..len(colors)-1, or None when the value is missing."""
        if value is None:
            return None
        index = 0
        for b in self.breaks:
            if value >= b:
                index += 1
            else:
                break
        return min(index, len(self.colors) - 1)

    def color(self, value: Optional[float]) -> str:
        index = self.classify(value)
        return NO_DATA if index is None else self.colors[index]

    def legend(self) -> list[dict]:
        """One row per class, low to high: {"color", "low", "high"} (low None = open below, high None = open above)."""
        bounds = [None, *self.breaks, None]
        rows = []
        for i, color in enumerate(self.colors[:len(self.breaks) + 1]):
            rows.append({"color": color, "low": bounds[i], "high": bounds[i + 1]})
        return rows

    def as_dict(self) -> dict:
        return {"metric": self.metric, "breaks": list(self.breaks), "colors": list(self.colors),
                "no_data": NO_DATA, "legend": self.legend()}


def percent_scale(breaks: Sequence[float] = DEFAULT_PERCENT_BREAKS) -> Scale:
    breaks = tuple(sorted(float(b) for b in breaks))[:len(YLGNBU_5) - 1]
    return Scale("percent_recorded", breaks, spread(YLGNBU_5, len(breaks) + 1))


def nice_number(value: float) -> float:
    """`value` rounded to 2 significant digits (at least 1): 1234 -> 1200, 47.3 -> 47, 0.4 -> 1."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** (int(math.floor(math.log10(value))) - 1)
    return float(round(value / magnitude) * magnitude)


def quantile_breaks(values: Iterable[Optional[float]], classes: int = 5) -> tuple:
    """Up to classes-1 strictly increasing, rounded breaks at the quantiles of the non-missing values.

    Zero gets a class of its own when it is common (areas with nothing left to record stand out).
    """
    data = sorted(v for v in values if v is not None)
    if not data:
        return ()
    breaks: list[float] = []
    positive = [v for v in data if v > 0]
    if len(positive) < len(data):
        breaks.append(1.0)  # class 0: exactly zero left
    remaining = classes - 1 - len(breaks)
    if positive and remaining > 0:
        n = len(positive)
        for k in range(1, remaining + 1):
            q = positive[min(n - 1, int(round(k * n / (remaining + 1))))]
            b = nice_number(q)
            # A break at or below the smallest value would open an empty class.
            if b > (breaks[-1] if breaks else 0) and positive[0] < b <= positive[-1]:
                breaks.append(b)
    return tuple(breaks)


def backlog_scale(values: Iterable[Optional[float]]) -> Scale:
    breaks = quantile_breaks(values, len(YLORRD_5))
    return Scale("reachable_backlog", breaks, spread(YLORRD_5, len(breaks) + 1))


def spread(palette: Sequence[str], n: int) -> tuple:
    """`n` colours of a sequential palette, as far apart as possible (first and last kept)."""
    if n >= len(palette):
        return tuple(palette)
    if n <= 1:
        return (palette[len(palette) // 2],)
    return tuple(palette[round(i * (len(palette) - 1) / (n - 1))] for i in range(n))
