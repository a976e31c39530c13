"""The password rule: long enough for the role (longer for admins), not a common or demo password, not
the username. Pure: returns an Indonesian msgid and its parameters, or None."""
from __future__ import annotations

from typing import Optional

from outreach.i18n import N_

MIN_LENGTH = 8
ADMIN_MIN_LENGTH = 12
MAX_LENGTH = 200
# Common passwords (Indonesian and international lists) and every password the demo or the docs show.
# Compared without case, spaces, dashes and dots, so "Password-123" is caught as well.
BLOCKLIST = frozenset({
    "12345678", "123456789", "1234567890", "123123123", "11111111", "00000000", "87654321", "12341234",
    "password", "password1", "password123", "passw0rd", "qwerty123", "qwertyuiop", "iloveyou", "abc12345",
    "admin123", "admin1234", "administrator", "rahasia", "rahasia123", "katasandi", "katasandi123",
    "indonesia", "indonesia123", "bismillah", "bismillah123", "sayang123", "jakarta123", "semarang123",
    "dukcapil", "dukcapil123", "ektp12345", "jemputbola", "jemputbola123", "changeme", "welcome123",
})


def _plain(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch not in " -_.")


def password_problem(password: str, role: str = "", username: str = "") -> Optional[tuple[str, dict]]:
    """(msgid, params) of what is wrong with `password` for a user of `role`, or None when it is fine."""
    minimum = ADMIN_MIN_LENGTH if role == "admin" else MIN_LENGTH
    if len(password) < minimum:
        if role == "admin":
            return N_("Kata sandi admin minimal %(min)s karakter."), {"min": minimum}
        return N_("Kata sandi minimal %(min)s karakter."), {"min": minimum}
    if len(password) > MAX_LENGTH:
        return N_("Kata sandi paling banyak %(max)s karakter."), {"max": MAX_LENGTH}
    plain = _plain(password)
    if plain in BLOCKLIST or (username and plain == _plain(username)) or len(set(plain)) < 4:
        return N_("Kata sandi ini terlalu mudah ditebak (umum, contoh demo, atau sama dengan nama pengguna). "
                  "Pilih yang lain."), {}
    return None
