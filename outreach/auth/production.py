"""What a production server refuses at login: the demo password, even on an account that still has it."""
from __future__ import annotations

from flask import current_app

from outreach.demo_data import PASSWORD as DEMO_PASSWORD


def demo_password_refused(password: str) -> bool:
    """True when this server is in production and `password` is the demo's (printed by seed-demo, in the docs)."""
    return bool(current_app.config.get("PRODUCTION")) and password == DEMO_PASSWORD


def password_accepted(user, password: str) -> bool:
    """The user's password check at login; in production the demo password never signs anyone in.
    The hash is checked either way, so a refused demo password takes as long as a wrong one."""
    matches = user.check_password(password)
    return matches and not demo_password_refused(password)
