"""gunicorn settings for Jemput Bola behind nginx (docs/deploy/nginx-jemputbola.conf).

    gunicorn -c docs/deploy/gunicorn.conf.py app:app

Sync workers: nginx buffers requests and answers, so a worker only ever waits on the database.
WEB_CONCURRENCY overrides the number of workers; GUNICORN_BIND the address.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # nginx's upstream; never exposed directly
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"

# A request running longer than this (a large import, a big planner run) is killed and logged; nginx's
# proxy_read_timeout (130 s) is longer, so nginx never gives up first.
timeout = 120
# On SIGTERM / SIGHUP (systemctl stop / reload) a worker finishes its request for up to this long.
graceful_timeout = 30
keepalive = 2

# Recycle each worker after about a thousand requests (jittered, so they do not all restart at once):
# bounds the memory a long-lived worker gathers.
max_requests = 1000
max_requests_jitter = 100

# Only nginx on this machine may set X-Forwarded-Proto (the app's ProxyFix reads X-Forwarded-For).
forwarded_allow_ips = "127.0.0.1,::1"

# Request limits: a head larger than this is refused before the app runs.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# The workers' heartbeat files in memory, so a slow disk never makes the arbiter kill healthy workers.
worker_tmp_dir = "/dev/shm"

accesslog = "-"
errorlog = "-"
loglevel = "info"
proc_name = "jemputbola"


def post_worker_init(worker):
    """Each worker loads its templates, locale data and a database connection before its first request
    (outreach.warmup)."""
    from outreach.warmup import warm_up

    warm_up(worker.wsgi)
