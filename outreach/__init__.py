"""Jemput Bola: planning and tracking E-KTP recording outreach (jemput bola)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the web app. Starts no scheduler and touches no database at import time."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # <int:...> URL parts stay inside the database's INTEGER range: a larger id is a 404, not a 500.
    app.url_map.converters["int"] = DatabaseIntConverter
    from outreach.config import DefaultConfig, production_requested

    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if production_requested(os.environ):
        app.config["PRODUCTION"] = True
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if test_config:
        app.config.update(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(app.instance_path) / 'jemputbola.sqlite'}")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    load_secret_key(app)
    if app.config["PRODUCTION"]:
        from outreach.deployment import refuse_unsafe_production

        refuse_unsafe_production(app.config)
    # A connection the database dropped (a restart) is replaced before use instead of failing a request.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                               **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}

    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_ratelimits(app)
    register_template_helpers(app)
    register_cli(app)
    register_proxy_fix(app)
    return app


class DatabaseIntConverter(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(url_map, *args, **kwargs)


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_secret_key(app: Flask) -> None:
    """SECRET_KEY from the configuration, else from instance/secret_key (SECRET_KEY_FILE), made once when
    missing. SECRET_KEY_SOURCE says which ("config", "file", or "new-file" when this process made it):
    `flask restore` may replace a key nobody has used yet, and `flask backup` records where it came from."""
    if app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY_SOURCE"] = "config"
        return
    path = secret_key_path(app)
    created = not path.exists()
    app.config["SECRET_KEY"] = instance_secret_key(path)
    app.config["SECRET_KEY_SOURCE"] = "new-file" if created else "file"


def secret_key_path(app: Flask) -> Path:
    return Path(app.config.get("SECRET_KEY_FILE") or Path(app.instance_path) / "secret_key")


def instance_secret_key(path: Path) -> str:
    """A secret generated once into instance/ (never committed) when none is configured."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    from outreach.extensions import babel, compress, csrf, db, login_manager, migrate
    from outreach import i18n

    from outreach.assets import COMPRESS_CONDITIONAL_ENDPOINTS, AssetAwareSessionInterface

    app.session_interface = AssetAwareSessionInterface()
    app.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL", COMPRESS_CONDITIONAL_ENDPOINTS)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    compress.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale,
                   default_translation_directories=str(ROOT / "outreach" / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # "basic": a request from another browser signature (the offline worker, Chrome's "desktop site")
    # only marks the login as not fresh instead of signing a field team out; stolen cookies are ended by
    # the user's session version instead (outreach.models.accounts.User.end_logins).
    login_manager.session_protection = "basic"

    from sqlalchemy.orm import joinedload

    from outreach.models import User

    @login_manager.user_loader
    def load_user(login_id: str):
        """The user of a login "id.version"; None (signed out) when the version was bumped since."""
        user_id, _, version = login_id.partition(".")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        # With its team in the same statement: a field user's area is its team's office (permissions.scope_of),
        # asked on nearly every request.
        user = db.session.get(User, int(user_id), options=[joinedload(User.team)])
        return user if user is not None and user.session_version == int(version) else None

    from outreach.db_setup import configure_engine_events

    with app.app_context():
        configure_engine_events(db.engine)


def register_blueprints(app: Flask) -> None:
    from outreach.admin import bp as admin_bp
    from outreach.api import bp as api_bp
    from outreach.assets import bp as vendor_bp
    from outreach.auth import bp as auth_bp
    from outreach.coverage.views import bp as coverage_bp
    from outreach.field.views import bp as field_bp
    from outreach.jobs import bp as jobs_bp
    from outreach.main import bp as main_bp
    from outreach.maps import bp as maps_bp
    from outreach.planner.views import bp as planner_bp
    from outreach.planning import bp as planning_bp
    from outreach.public_schedule_views import bp as public_schedule_bp
    from outreach.planning.confirmation_views import bp as confirmation_bp
    from outreach.regions import bp as regions_bp
    from outreach.requests.queue_views import bp as request_queue_bp
    from outreach.sites import bp as sites_bp

    for bp in (vendor_bp, auth_bp, main_bp, regions_bp, sites_bp, planning_bp, admin_bp, api_bp, jobs_bp,
               field_bp, maps_bp, coverage_bp, planner_bp, public_schedule_bp, request_queue_bp,
               confirmation_bp):
        app.register_blueprint(bp)
    from outreach.requests.public_views import bp as public_requests_bp
    app.register_blueprint(public_requests_bp)  # /permohonan: the public visit-request pages (no login)
    from outreach.bench_minimal import register_if_asked

    register_if_asked(app)  # bench/load.py's yardstick: only with JB_BENCH_MINIMAL=1 in the environment


def register_request_hooks(app: Flask) -> None:
    from outreach import errors, headers
    from outreach.assets import cache_versioned_assets
    from outreach.input_guard import reject_nul_bytes
    from outreach.security import guard_request

    app.before_request(reject_nul_bytes)  # before the sign-in and CSRF checks: a NUL is refused as such
    app.before_request(guard_request)
    app.after_request(cache_versioned_assets)
    errors.register(app)
    headers.register(app)


def register_ratelimits(app: Flask) -> None:
    from outreach import ratelimits

    ratelimits.register(app)


def register_template_helpers(app: Flask) -> None:
    from outreach import templating

    templating.register(app)


def register_proxy_fix(app: Flask) -> None:
    """Behind nginx: trust that many proxies' X-Forwarded-* headers (PROXY_FIX_X_FOR=1 and so on), so
    request.remote_addr is the client's address (the rate limits key on it) and url_for knows https."""
    from outreach.deployment import proxy_fix_counts

    counts = proxy_fix_counts(app.config)
    if any(counts.values()):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)


def register_cli(app: Flask) -> None:
    from outreach import cli

    cli.register(app)
