"""The production kit in docs/deploy/ agrees with the app: nginx lets the largest import through and
buffers slow clients, gunicorn listens where nginx sends and gives up first, and every command the
systemd units run exists in the CLI with those arguments."""
from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import click
import pytest
from flask.cli import FlaskGroup, ScriptInfo

from outreach import ROOT

DEPLOY = ROOT / "docs" / "deploy"
NGINX = DEPLOY / "nginx-jemputbola.conf"
PROXY_SNIPPET = DEPLOY / "nginx-jemputbola-proxy.conf"
UNITS = ["jemputbola-web.service", "jemputbola-scheduler.service", "jemputbola-backup.service"]
INSTALL_DIR = "/srv/jemputbola"
SIZE_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def nginx_directives(path: Path, name: str) -> list[str]:
    text = re.sub(r"#.*", "", path.read_text())
    return [m.strip() for m in re.findall(rf"(?m)^\s*{name}\s+([^;]+);", text)]


def nginx_seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", value).groups()
    return int(number) * (60 if unit == "m" else 1)


def gunicorn_settings() -> dict:
    namespace: dict = {}
    exec(compile((DEPLOY / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    return {k: v for k, v in namespace.items() if not k.startswith("__") and not callable(v)
            and not isinstance(v, type(re))}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / name)
    return parser


# ------------------------------------------------------------------ nginx

def test_nginx_lets_the_largest_import_through(app):
    [size] = nginx_directives(NGINX, "client_max_body_size")
    number, suffix = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()
    # Strictly more: a multipart form carries the file plus its boundaries and other fields.
    assert int(number) * SIZE_UNITS[suffix] > app.config["MAX_CONTENT_LENGTH"]


def test_nginx_buffers_slow_clients_and_redirects_to_https():
    assert nginx_directives(PROXY_SNIPPET, "proxy_request_buffering") == ["on"]
    assert nginx_directives(PROXY_SNIPPET, "proxy_buffering") == ["on"]
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        [value] = nginx_directives(NGINX, name)
        assert nginx_seconds(value) <= 60, name
    assert "return 301 https://$host$request_uri" in nginx_directives(NGINX, "location /") or \
        any("301 https://" in d for d in nginx_directives(NGINX, "return"))
    headers = nginx_directives(PROXY_SNIPPET, "proxy_set_header")
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Host"):
        assert any(h.startswith(header + " ") for h in headers), header


def test_every_proxied_location_takes_the_proxy_settings():
    text = re.sub(r"#.*", "", NGINX.read_text())
    locations = re.findall(r"location\s+[^{]*\{([^}]*)\}", text)
    proxied = [body for body in locations if "proxy_pass" in body]
    assert len(proxied) >= 3
    for body in proxied:
        assert "include /etc/nginx/snippets/jemputbola-proxy.conf;" in body


def test_nginx_serves_static_files_and_leaves_the_service_worker_to_the_app():
    text = NGINX.read_text()
    static = re.search(r"location /static/ \{([^}]*)\}", text).group(1)
    assert f"alias {INSTALL_DIR}/static/;" in static
    assert (ROOT / "static").is_dir()
    assert re.search(r"location = /sw\.js \{[^}]*proxy_pass", text)
    assert "immutable" in text


def test_gunicorn_listens_where_nginx_sends_and_times_out_before_nginx():
    settings = gunicorn_settings()
    [upstream] = re.findall(r"upstream jemputbola_app \{\s*server ([^;]+);", NGINX.read_text())
    assert settings["bind"] == upstream
    [read_timeout] = nginx_directives(PROXY_SNIPPET, "proxy_read_timeout")
    assert settings["timeout"] < nginx_seconds(read_timeout)
    assert settings["graceful_timeout"] > 0 and settings["max_requests_jitter"] > 0
    assert "127.0.0.1" in settings["forwarded_allow_ips"]


def test_gunicorn_accepts_every_setting_of_the_file():
    from gunicorn.config import Config

    cfg = Config()
    for name, value in gunicorn_settings().items():
        if name in ("multiprocessing", "os"):
            continue
        assert name in cfg.settings, f"gunicorn has no setting {name}"
        cfg.set(name, value)  # validates the value


# ------------------------------------------------------------------ systemd

def exec_lines(name: str) -> list[str]:
    service = unit(name)["Service"]
    return [service[key] for key in ("ExecStartPre", "ExecStart") if key in service]


@pytest.mark.parametrize("name", UNITS)
def test_units_restart_run_as_a_service_user_and_read_the_environment_file(name):
    service = unit(name)["Service"]
    assert service["User"] not in ("", "root") and service["EnvironmentFile"].startswith("/etc/")
    assert service["WorkingDirectory"] == INSTALL_DIR
    if name != "jemputbola-backup.service":  # a oneshot started by its timer
        assert service["Restart"] == "always"


@pytest.mark.parametrize("name", UNITS)
def test_units_run_commands_the_cli_has(app, name):
    group = FlaskGroup(create_app=lambda: app)
    checked = 0
    for line in exec_lines(name):
        argv = shlex.split(line)
        program = Path(argv[0]).name
        assert argv[0] == f"{INSTALL_DIR}/.venv/bin/{program}"
        if program == "gunicorn":
            config = argv[argv.index("-c") + 1]
            assert (ROOT / Path(config).relative_to(INSTALL_DIR)).is_file()
            assert argv[-1] == "app:app" and (ROOT / "app.py").is_file()
            checked += 1
            continue
        assert program == "flask" and argv[1:3] == ["--app", "app"]
        ctx = click.Context(group, obj=ScriptInfo(create_app=lambda: app))
        command, args = group.get_command(ctx, argv[3]), argv[4:]
        assert command is not None, f"no CLI command {argv[3]}"
        while isinstance(command, click.Group):  # e.g. `db upgrade`
            sub = command.get_command(ctx, args[0])
            assert sub is not None, f"no CLI command {argv[3]} {args[0]}"
            command, args = sub, args[1:]
        with app.app_context():
            command.make_context(command.name, list(args))  # parses the arguments as the CLI would
        checked += 1
    assert checked


def test_the_backup_timer_starts_the_backup_service_daily():
    timer = unit("jemputbola-backup.timer")["Timer"]
    assert timer["Unit"] == "jemputbola-backup.service" and (DEPLOY / timer["Unit"]).is_file()
    assert timer["OnCalendar"].startswith("*-*-* ") and timer["Persistent"] == "true"


def test_the_production_guide_points_to_every_file_of_the_kit():
    guide = (ROOT / "docs" / "production.md").read_text()
    for path in DEPLOY.iterdir():
        assert f"docs/deploy/{path.name}" in guide, path.name
