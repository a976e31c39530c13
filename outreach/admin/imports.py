"""Admin: web imports (upload, preview, commit)."""
from outreach.admin import bp  # noqa: F401
