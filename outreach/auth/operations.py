"""A user's own account: choosing a new password (forced after an admin reset, or by choice).

Plain functions over the database session; messages are Indonesian msgids with their parameters, keyed by
form field, for the view to translate.
"""
from __future__ import annotations

from typing import Optional

from outreach.auth.passwords import password_problem
from outreach.extensions import db
from outreach.i18n import N_
from outreach.models import User
from outreach.models.audit import record_change


class PasswordNotChanged(Exception):
    """`errors` maps a form field to its (msgid, params) messages."""

    def __init__(self, errors: dict[str, list[tuple[str, dict]]]):
        super().__init__(errors)
        self.errors = errors


def change_own_password(user: User, current: Optional[str], new: Optional[str], confirm: Optional[str]) -> None:
    """Check the current password and the password rule, set the new one, lift a forced change, and end
    every other login of the user (the caller signs the current one in again with the new version)."""
    errors: dict[str, list[tuple[str, dict]]] = {}
    if not current or not user.check_password(current):
        errors["current_password"] = [(N_("Kata sandi saat ini salah."), {})]
    problem = password_problem(new, user.role, user.username) if new else (N_("Kata sandi wajib diisi."), {})
    if problem:
        errors["password"] = [problem]
    elif new != confirm:
        errors["password_confirm"] = [(N_("Kedua kata sandi tidak sama."), {})]
    elif current and new == current:
        errors["password"] = [(N_("Kata sandi baru harus berbeda dari yang lama."), {})]
    if errors:
        raise PasswordNotChanged(errors)
    user.set_password(new)
    user.must_change_password = False
    user.end_logins()
    record_change("user", user.id, "change_password", user.id, {})
    db.session.commit()
