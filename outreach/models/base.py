"""Helpers shared by the model modules."""
from outreach.clock import utcnow  # noqa: F401  (models' timestamp default, never computed at import)
