"""Dashboard panels of the provinces and the whole country, computed ahead (outreach.coverage.panels): a
manager's first look at a big area reads them instead of every kecamatan's pace and every team's sessions."""
from __future__ import annotations

from outreach.coverage import panels
from outreach.jobs.context import JobContext


def run(ctx: JobContext) -> dict:
    return panels.warm(ctx.day)
