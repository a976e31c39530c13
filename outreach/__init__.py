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
    from outreach.config import DefaultConfig

    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if test_config:
        app.config.update(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(app.instance_path) / 'jemputbola.sqlite'}")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    # A connection the database dropped (a restart) is replaced before use instead of failing a request.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                               **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}

    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_cli(app)
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


def instance_secret_key(instance: Path) -> str:
    """A secret generated once into instance/ (never committed) when none is configured."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    from outreach.extensions import babel, compress, csrf, db, login_manager, migrate
    from outreach import i18n

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

    from outreach.models import User

    @login_manager.user_loader
    def load_user(login_id: str):
        """The user of a login "id.version"; None (signed out) when the version was bumped since."""
        user_id, _, version = login_id.partition(".")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = db.session.get(User, int(user_id))
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
    from outreach.regions import bp as regions_bp
    from outreach.sites import bp as sites_bp

    for bp in (vendor_bp, auth_bp, main_bp, regions_bp, sites_bp, planning_bp, admin_bp, api_bp, jobs_bp,
               field_bp, maps_bp, coverage_bp, planner_bp):
        app.register_blueprint(bp)


def register_request_hooks(app: Flask) -> None:
    from outreach import errors
    from outreach.input_guard import reject_nul_bytes
    from outreach.security import guard_request

    app.before_request(reject_nul_bytes)
    app.before_request(guard_request)
    errors.register(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def register_template_helpers(app: Flask) -> None:
    from outreach import templating

    templating.register(app)


def register_cli(app: Flask) -> None:
    from outreach import cli

    cli.register(app)
