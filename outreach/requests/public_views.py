"""The public request pages (no login): the form "Permohonan jemput bola", its "terkirim" page, the status
page, the desa chooser's data, and a printable poster per desa with a QR code to the form.

Light pages for a cheap phone (templates/requests/public/, static/css/public.css, static/js/request_form.js):
no Bootstrap, no Leaflet; everything works without JavaScript (the chooser's "Tampilkan" buttons re-render
the form with the next select filled). The rules are in outreach.requests.intake.
"""
from __future__ import annotations

import segno
from flask import (Blueprint, abort, jsonify, redirect, render_template, request, session, url_for)
from markupsafe import Markup

from outreach import ratelimits
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models import Region
from outreach.requests import intake
from outreach.security import json_error, public
from outreach.vocab import HOME_VISIT_KINDS, labels_of

bp = Blueprint("public_requests", __name__, url_prefix="/permohonan")

SENT_KEY = "jb_request_code"  # the code of the request this browser just sent (its "terkirim" page)
_FORM_KEYS = ("kind", "kabupaten", "kecamatan", "desa_kode", "address", "rt", "rw", "people", "description",
              "requester_name", "relation", "phone", "lat", "lng")
_FORM_VALUE_MAX = 600  # what is echoed back into a re-rendered form (the fields' own limits are lower)
REGIONS_MAX_AGE = 3600


@bp.route("", methods=["GET", "POST"])
@public
@ratelimits.request_creation_limits
def request_form():
    """The form; a POST either fills the next select of the chooser (no JavaScript) or sends the request."""
    if request.method == "GET":
        values = {"people": "1", **intake.chosen_path(request.args.get("desa"))}
        values["desa_kode"] = values.pop("desa")
        return _form_page(values, {})
    values = {key: request.form.get(key, "")[:_FORM_VALUE_MAX] for key in _FORM_KEYS}
    if request.form.get("pilih"):
        return _form_page(values, {})
    outcome = intake.submit(values, "form", honeypot=request.form.get("website"))
    if outcome.errors:
        return _form_page(values, outcome.errors, status=422)
    session[SENT_KEY] = outcome.code
    return redirect(url_for(".sent"), 303)


@bp.route("/terkirim")
@public
def sent():
    """The code of the request this browser just sent, big and easy to copy."""
    code = session.get(SENT_KEY)
    if not code:
        return redirect(url_for(".request_form"))
    return render_template("requests/public/sent.html", code=code)


@bp.route("/status", methods=["GET", "POST"])
@public
@ratelimits.request_status_limits
def status():
    """Code + last 4 digits of the phone number → the request's progress (no personal data)."""
    if request.method == "GET":
        return render_template("requests/public/status.html", code=request.args.get("kode", "")[:20],
                               found=None, error=None)
    code, last4 = request.form.get("kode", "")[:40], request.form.get("hp4", "")[:10]
    found = intake.public_status(code, last4)
    if found is None:
        error = _("Permohonan tidak ditemukan. Periksa kode permohonan dan 4 angka terakhir nomor WhatsApp.")
        return render_template("requests/public/status.html", code=code, found=None, error=error), 404
    return render_template("requests/public/status.html", code=found["code"], found=found, error=None)


@bp.route("/wilayah")
@public
def regions():
    """The chooser's data: [{kode, nama}] under ?induk= (the kabupaten/kota when empty). Public and cached."""
    children = intake.region_children(request.args.get("induk", "")[:40])
    if children is None:
        return json_error(404, _("Wilayah tidak ditemukan."))
    resp = jsonify(children)
    resp.headers["Cache-Control"] = f"public, max-age={REGIONS_MAX_AGE}"
    return resp


@bp.route("/poster/<desa_kode>")
@public
def poster(desa_kode: str):
    """A printable A4 poster for a desa office: the QR code opens the form with the desa already chosen."""
    desa = db.session.get(Region, desa_kode[:20])
    if desa is None or desa.level != "desa":
        abort(404)
    names = {r.kode: r.nama for r in (db.session.get(Region, k) for k in (desa.kecamatan_kode, desa.kabupaten_kode))
             if r is not None}
    target = url_for(".request_form", desa=desa.kode, _external=True)
    qr_svg = segno.make(target, error="m").svg_inline(border=2, omitsize=True, title=_("Kode QR formulir permohonan"))
    return render_template("requests/public/poster.html", desa=desa, names=names, target=target,
                           qr_svg=Markup(qr_svg))


def _form_page(values: dict, errors: dict, status: int = 200):
    path = {"kabupaten": values.get("kabupaten", ""), "kecamatan": values.get("kecamatan", ""),
            "desa": values.get("desa_kode", "")}
    if not path["kecamatan"].startswith(path["kabupaten"] + "."):
        path["kecamatan"] = ""
    if not path["desa"].startswith(path["kecamatan"] + ".") or not path["kecamatan"]:
        path["desa"] = ""
    if not path["kabupaten"] and values.get("desa_kode"):
        path = intake.chosen_path(values["desa_kode"])
    values = {**values, "kabupaten": path["kabupaten"], "kecamatan": path["kecamatan"], "desa_kode": path["desa"]}
    options = {"kabupaten": intake.region_children("") or [],
               "kecamatan": (intake.region_children(path["kabupaten"]) or []) if path["kabupaten"] else [],
               "desa": (intake.region_children(path["kecamatan"]) or []) if path["kecamatan"] else []}
    kinds = labels_of("request_kind")
    kind_groups = [(_("Kunjungan ke rumah"), [(k, kinds[k]) for k in kinds if k in HOME_VISIT_KINDS]),
                   (_("Sekolah, lembaga, atau warga"), [(k, kinds[k]) for k in kinds if k not in HOME_VISIT_KINDS])]
    html = render_template("requests/public/form.html", values=values, errors=errors, options=options,
                           kind_groups=kind_groups, labels={k: intake.field_label(k) for k in intake.FIELDS},
                           limits=intake.TEXT_FIELDS, people_max=intake.REQUEST_PEOPLE_MAX,
                           retention_days=intake.retention_days())
    return html, status
