"""Jinja globals and filters shared by all templates (the enumerations' labels come from outreach.vocab)."""

from types import SimpleNamespace

from flask import current_app, g, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user
from jinja2 import FileSystemBytecodeCache

from outreach import clock, permissions
from outreach.assets import vendor_url
from outreach.cache import ProcessCache
from outreach.phones import readable as readable_phone
from outreach.planner.entry import desa_to_plan
# The labels the templates look up, from outreach.vocab.
from outreach.vocab import (away_reason_labels, kit_status_labels, level_labels, region_kind_labels, role_labels,
                            site_type_labels)


def fmt_number(value):
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0")


def fmt_percent(value):
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0.0") + "%"


def fmt_date(value, fmt="medium"):
    """A date (or its ISO text, as the JSON-shaped answers carry it) in the user's language."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        from datetime import date as _date

        try:
            value = _date.fromisoformat(value[:10])
        except ValueError:
            return value
    return format_date(value, fmt)


def fmt_datetime(value, fmt="medium"):
    if value is None:
        return "–"
    return format_datetime(value, fmt)


def csv_dialect() -> str:
    """The CSV dialect the export links offer: Indonesian Excel's (";", decimal comma) in Indonesian."""
    return "id" if str(get_locale()) == "id" else "intl"


def page_here():
    """Where the page is, as its own links should say (path, full_path, endpoint): the request's, or the
    page a POST answered with in place of a redirect (the login answers a field team with its home page,
    one round trip less on a weak signal; g.page_as)."""
    return g.get("page_as") or SimpleNamespace(path=request.path, full_path=request.full_path,
                                               endpoint=request.endpoint)


def register(app):
    # Compiled templates are kept on disk (Jinja's bytecode cache, per system user, checked against each
    # template's source): a new worker's first page no longer compiles its templates (about 0.3 s for the
    # dashboard's). Setting JINJA_BYTECODE_CACHE: False turns it off.
    if app.config.get("JINJA_BYTECODE_CACHE", True):
        app.jinja_env.bytecode_cache = FileSystemBytecodeCache()
    app.jinja_env.filters.update(number=fmt_number, percent=fmt_percent, date=fmt_date, datetime=fmt_datetime,
                                 phone=readable_phone)
    app.jinja_env.globals.update(vendor_url=vendor_url, site_type_labels=site_type_labels,
                                 level_labels=level_labels, kind_labels=region_kind_labels, role_labels=role_labels,
                                 nav_items=nav_items, permissions=permissions,
                                 away_reason_labels=away_reason_labels, kit_status_labels=kit_status_labels,
                                 csv_dialect=csv_dialect, desa_to_plan=desa_to_plan, page_here=page_here)

    @app.context_processor
    def inject():
        return {"current_locale": str(get_locale()), "languages": current_app.config["LANGUAGES"],
                "today": clock.local_today(), "now": clock.local_now, "demo_data_loaded": demo_data_loaded}
    register_formats(app)


# (endpoint, label) of the main navigation, shown to the roles its view admits (the view's own
# roles_required declaration); entries whose endpoint does not exist are skipped.
NAV = (
    ("field.my_schedule", "Jadwal saya"),
    ("coverage.dashboard", "Dasbor"),
    ("planning.calendar", "Kalender"),
    ("planning.session_list", "Sesi"),
    ("planner.new_plan", "Usulan jadwal"),
    ("maps.coverage", "Peta"),
    ("regions.index", "Wilayah"),
    ("sites.index", "Lokasi"),
    ("request_queue.index", "Permohonan"),
    ("admin.index", "Admin"),
)
# Pages a role reaches but that are not in its menu (a field team's home is its own schedule).
NAV_HIDDEN = {"field.my_schedule": frozenset({permissions.ADMIN, permissions.COORDINATOR})}


def nav_items():
    from flask import url_for
    from flask_babel import gettext as _

    if not current_user.is_authenticated:
        return []
    labels = {"Jadwal saya": _("Jadwal saya"), "Dasbor": _("Dasbor"), "Kalender": _("Kalender"),
              "Sesi": _("Sesi"), "Usulan jadwal": _("Usulan jadwal"), "Peta": _("Peta"), "Wilayah": _("Wilayah"), "Lokasi": _("Lokasi"),
              "Permohonan": _("Permohonan"), "Admin": _("Admin")}
    items = []
    for endpoint, label in NAV:
        view = current_app.view_functions.get(endpoint)
        roles = getattr(view, "access_roles", frozenset()) - NAV_HIDDEN.get(endpoint, frozenset())
        if permissions.admitted(current_user, roles):
            items.append({"endpoint": endpoint, "url": url_for(endpoint), "label": labels[label],
                          "badge": _nav_badge(endpoint)})
    return items


def _nav_badge(endpoint: str):
    """The number a menu entry wears: the visit requests waiting for a planner (none: no badge)."""
    if endpoint != "request_queue.index" or not permissions.handles_requests(current_user):
        return None
    from outreach.requests.queue import waiting_total

    return waiting_total(current_user) or None


_demo_cache = ProcessCache(entries=8)


def demo_data_loaded() -> bool:
    """Whether seed-demo's data is in this database (its coordinates are approximations); cached a minute."""
    import sqlalchemy as sa

    from outreach.extensions import db
    from outreach.models import ImportBatch

    return _demo_cache.get(("demo",), lambda: bool(db.session.scalar(
        sa.select(sa.exists().where(ImportBatch.kind == "demo")))), recheck=60)


# ---------------------------------------------------------------- days, times and regions as the pages write them

def _babel_locale():
    """The request's locale inside a request; Bahasa Indonesia elsewhere (CLI, jobs, the pure planner's tests)."""
    from flask import has_request_context

    return get_locale() if has_request_context() else "id"


def short_day(value, today=None, weekday: bool = True) -> str:
    """A day as the pages write it: "Sen, 14 Des", with the year when it is not this year ("Min, 14 Feb 2027");
    `weekday=False` leaves the weekday out ("14 Feb 2027"). Accepts a date or its ISO text."""
    from datetime import date as _date

    from babel.dates import format_date as babel_format_date

    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = _date.fromisoformat(value[:10])
        except ValueError:
            return value
    today = today or clock.local_today()
    pattern = ("EEE, " if weekday else "") + ("d MMM" if value.year == today.year else "d MMM y")
    return babel_format_date(value, pattern, locale=_babel_locale())


def clock_text(value) -> str:
    """A time of day as the pages write it: "08.25" (from a time or its "08:25" text)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        return value[:5].replace(":", ".")
    return value.strftime("%H.%M")


def region_with_code(nama, kode) -> str:
    """A region's name with its code beside it, "Sukamaju (33.74.10.1005)"; the bare code only when the
    name is unknown."""
    return f"{nama} ({kode})" if nama else (kode or "–")


def register_formats(app):
    """The `day` and `clock` filters and `region_with_code`, for every template."""
    app.jinja_env.filters.update(day=short_day, clock=clock_text)
    app.jinja_env.globals.update(region_with_code=region_with_code)
