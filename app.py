"""WSGI entry point: `flask --app app run` or `gunicorn app:app`."""
import gc

from outreach import create_app

app = create_app()

# Everything the start-up created (modules, the app, its templates' globals) lives as long as the process:
# moved out of the collector's sight, so a worker's first requests do not pay a full collection of it
# (about 0.1 s measured on the national dashboard's first request).
gc.collect()
gc.freeze()
