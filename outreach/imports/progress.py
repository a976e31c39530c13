"""A progress line for long CLI imports: rows done, rows per second and time left, per phase, on stderr.

Pure Python (no Flask): `ProgressLine(stream).phase(label, total)` returns the tick the import loops call
with how many more rows are done; the line is redrawn at most a few times a second.
"""
from __future__ import annotations

import time
from typing import Callable, Optional, TextIO

from outreach.i18n import plain_gettext as _


def _number(n: float) -> str:
    return f"{int(n):,}".replace(",", ".")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} j {seconds % 3600 // 60} mnt"
    if seconds >= 60:
        return f"{seconds // 60} mnt {seconds % 60} dtk"
    return f"{seconds} dtk"


class ProgressLine:
    """One line per phase, redrawn in place ("\\r") while the phase runs and left behind when it ends."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic, interval: float = 0.25,
                 width: int = 20):
        self.stream, self.clock, self.interval, self.width = stream, clock, interval, width
        self.label: Optional[str] = None
        self.total: Optional[int] = None
        self.done = 0
        self.started = self.drawn_at = 0.0

    def phase(self, label: str, total: Optional[int]) -> Callable[[int], None]:
        """Start a phase of `total` rows (None: unknown); returns the tick to call with rows done."""
        self.finish()
        self.label, self.total, self.done = label, total, 0
        self.started = self.drawn_at = self.clock()
        self._draw()
        return self.tick

    def tick(self, n: int) -> None:
        self.done += n
        now = self.clock()
        if now - self.drawn_at >= self.interval:
            self.drawn_at = now
            self._draw()

    def finish(self) -> None:
        """End the current phase: draw it once more, complete, and move to a new line."""
        if self.label is None:
            return
        if self.total is not None:
            self.total = max(self.total, self.done)
        self._draw(final=True)
        self.stream.write("\n")
        self.stream.flush()
        self.label = None

    def text(self, final: bool = False) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        total = max(self.total, self.done) if self.total is not None else None
        parts = [_(self.label)]
        if total:
            share = min(self.done / total, 1.0)
            filled = int(share * self.width)
            parts.append(f"[{'#' * filled}{'.' * (self.width - filled)}] {_number(self.done)}/{_number(total)} "
                         f"({share:.0%})")
        else:
            parts.append(_number(self.done))
        parts.append(_("%(rate)s baris/detik", rate=_number(rate)))
        if final:
            parts.append(_("selesai dalam %(t)s", t=_duration(elapsed)))
        elif total and rate > 0:
            parts.append(_("sisa %(t)s", t=_duration((total - self.done) / rate)))
        return " · ".join(parts)

    def _draw(self, final: bool = False) -> None:
        self.stream.write("\r" + self.text(final).ljust(79))
        self.stream.flush()
