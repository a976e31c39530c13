"""gunicorn on a free loopback port for the benches that measure the app as production serves it
(load.py, national.py): started with its own secret key and rate limits off, ready once /healthz answers."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int, *, env: dict | None = None, args: Sequence[str] = (), start_s: float = 120,
             failure: type[Exception] = RuntimeError):
    """Yield (base URL, process) of `gunicorn [args] -w workers app:app` on DATABASE_URL `url`; `env` adds to
    the environment. Raises `failure` when it does not answer /healthz within `start_s` seconds (each worker
    imports the app: slow on a busy machine)."""
    import httpx

    port = free_port()
    environ = dict(os.environ, DATABASE_URL=url, SECRET_KEY=secrets.token_hex(32), FLASK_RATELIMIT_ENABLED="false",
                   FLASK_RATE_LIMITS="false", **(env or {}))
    cmd = [str(ROOT / ".venv" / "bin" / "gunicorn"), *args, "-w", str(workers), "-b", f"127.0.0.1:{port}",
           "--log-level", "warning", "app:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=environ)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_s
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise failure("gunicorn did not start")
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
