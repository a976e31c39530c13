"""Third-party front-end assets served from installed XStatic packages: no CDN, nothing copied.

Also how every asset (ours and theirs) is cached: the same for every user, so its answer never varies
with the cookie (a sign-out must not make a phone download Bootstrap again), a versioned URL (?v=) is
kept for a year, and a compressed answer keeps a validator that gives a 304 on revalidation.
"""
from __future__ import annotations

import importlib

from flask import Blueprint, abort, request, send_from_directory, url_for
from flask.sessions import SecureCookieSessionInterface

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

# name in URLs -> XStatic module
PACKAGES = {
    "bootstrap": "xstatic.pkg.bootstrap",
    "leaflet": "xstatic.pkg.leaflet",
}


def package_dir(name: str) -> str:
    module = PACKAGES.get(name)
    if module is None:
        abort(404)
    return importlib.import_module(module).BASE_DIR


@bp.route("/<name>/<path:filename>")
def asset(name: str, filename: str):
    return send_from_directory(package_dir(name), filename, max_age=7 * 24 * 3600)


asset.access_roles = frozenset({"public"})


def vendor_url(name: str, filename: str) -> str:
    return url_for("vendor.asset", name=name, filename=filename)


# Answers that are the same for everyone: no session cookie is read or written for them.
ASSET_ENDPOINTS = frozenset({"static", "vendor.asset", "main.favicon", "field.service_worker", "field.manifest"})
# Flask-Compress re-checks If-None-Match after it has added ":zstd" (or ":br") to the ETag of these
# streamed file answers; without it a compressed file is sent again in full instead of a 304.
COMPRESS_CONDITIONAL_ENDPOINTS = ["static", "vendor.asset", "main.favicon"]
VERSIONED_MAX_AGE = 365 * 24 * 3600


def is_asset_request() -> bool:
    return request.endpoint in ASSET_ENDPOINTS


class AssetAwareSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, left alone on asset requests: Flask would add "Vary: Cookie" to an
    asset once anything looked at the session (Flask-Login's remember-me check does), and a browser
    then downloads the asset again whenever the cookie changes (every sign-in and sign-out)."""

    def save_session(self, app, session, response) -> None:
        if is_asset_request():
            return
        super().save_session(app, session, response)


def cache_versioned_assets(response):
    """after_request: a static file asked for with its content version (?v=) never changes: keep it a year."""
    if request.endpoint == "static" and request.args.get("v") and response.status_code in (200, 304):
        response.cache_control.public = True
        response.cache_control.max_age = VERSIONED_MAX_AGE
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    return response
