"""Production settings: what a production server refuses to start with, and the reverse proxy's trust.
Plain functions of the configuration; create_app calls them."""
from __future__ import annotations

from collections.abc import Mapping

from outreach.i18n import N_

SECRET_KEY_MIN_LENGTH = 32
# Keys that appear in the docs, examples and tests: never a production key, however long.
PLACEHOLDER_KEYS = frozenset({
    "change-me-to-a-long-random-string", "change-me", "changeme", "secret", "dev", "development",
    "test-secret", "jemputbola",
})
PROXY_FIX_SETTINGS = {"x_for": "PROXY_FIX_X_FOR", "x_proto": "PROXY_FIX_X_PROTO", "x_host": "PROXY_FIX_X_HOST",
                      "x_port": "PROXY_FIX_X_PORT", "x_prefix": "PROXY_FIX_X_PREFIX"}


class UnsafeProductionConfig(RuntimeError):
    """A production server was asked to start with settings it must not run with."""


def secret_key_problem(key) -> str | None:
    """Why `key` is no production SECRET_KEY (an Indonesian message), or None when it will do."""
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key or "")
    if not text.strip():
        return N_("SECRET_KEY kosong.")
    if text.strip().lower() in PLACEHOLDER_KEYS or "change-me" in text.lower():
        return N_("SECRET_KEY masih contoh dari dokumentasi.")
    if len(text) < SECRET_KEY_MIN_LENGTH:
        return N_("SECRET_KEY terlalu pendek (minimal %(min)s karakter).") % {"min": SECRET_KEY_MIN_LENGTH}
    return None


def refuse_unsafe_production(config: Mapping) -> None:
    """Raise UnsafeProductionConfig (in Indonesian) when a production server would run with a weak key."""
    problem = secret_key_problem(config.get("SECRET_KEY"))
    if problem:
        raise UnsafeProductionConfig(
            N_("Mode produksi (JB_ENV=production) tidak dijalankan: %(problem)s Isi SECRET_KEY dengan "
               "string acak yang panjang, mis. hasil `python -c 'import secrets; print(secrets.token_hex(32))'`, "
               "atau hapus SECRET_KEY agar kunci dibuat sekali di instance/secret_key.") % {"problem": problem})


def proxy_fix_counts(config: Mapping) -> dict[str, int]:
    """ProxyFix's keyword arguments from the PROXY_FIX_X_* settings (how many proxies to trust per header)."""
    return {arg: int(config.get(name) or 0) for arg, name in PROXY_FIX_SETTINGS.items()}
