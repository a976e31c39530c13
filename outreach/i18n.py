"""Translation helpers and locale selection: the one place the app's `_`, `_l` and `N_` come from.

- `N_(msgid)` marks a msgid for extraction; it is translated later, where it is shown.
- `gettext_here` translates in a request (the user's language) and gives the Indonesian msgid elsewhere
  (CLI, jobs, tests): service modules that run both ways import it as `_` so that `pybabel extract`
  (which looks for `_`) finds their msgids.
- `lazy_gettext` (imported as `_l`) for labels declared at import time (form fields).
- `plain_gettext` formats without translating: the default `_` of the pure rules.
- `select_locale` picks the user's choice (stored in the session or profile), else Bahasa Indonesia.

Importable without an app context: the pure modules (vocab, rules) import it.
"""
from flask import current_app, has_request_context, request, session
from flask_babel import gettext as _babel_gettext
from flask_babel import lazy_gettext  # noqa: F401  (the forms import it from here as _l)
from flask_babel import lazy_pgettext  # noqa: F401  (a label whose word means two things: "Lokasi", one site)
from flask_login import current_user


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; translated later, where it is shown."""
    return msgid


def plain_gettext(message: str, **variables) -> str:
    """The msgid itself, %-formatted with `variables` like gettext does (no translation)."""
    return message % variables if variables else message


def gettext_here(message: str, **variables) -> str:
    """gettext in a request (the user's language); the Indonesian msgid itself elsewhere (CLI, seed, jobs,
    tests), %-formatted with `variables` like gettext does."""
    if has_request_context():
        return _babel_gettext(message, **variables)
    return plain_gettext(message, **variables)


def _signed_in_locale():
    """The signed-in user's language, or None; None too when the user cannot be loaded (database down), so
    that error pages still speak the default language."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        if current_user and getattr(current_user, "is_authenticated", False):
            return current_user.locale
    except SQLAlchemyError:
        return None
    return None


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if _signed_in_locale() in languages:
        return _signed_in_locale()
    if request.args.get("lang") in languages:
        return request.args["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]
