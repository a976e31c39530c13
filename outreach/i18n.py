"""Locale selection: the user's choice (stored in the session or profile), else Bahasa Indonesia.

Also `gettext_here`, the translation helper for service modules that run both inside and outside a
request: import it as `_` so that `pybabel extract` (which looks for `_`) finds the msgids.
"""
from flask import current_app, has_request_context, request, session
from flask_babel import gettext as _babel_gettext
from flask_login import current_user


def gettext_here(message: str, **variables) -> str:
    """gettext in a request (the user's language); the Indonesian msgid itself elsewhere (CLI, seed, jobs,
    tests), %-formatted with `variables` like gettext does."""
    if has_request_context():
        return _babel_gettext(message, **variables)
    return message % variables if variables else message


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    if request.args.get("lang") in languages:
        return request.args["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]
