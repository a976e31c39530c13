"""Text the database cannot store never reaches it: a NUL byte (code 0) anywhere in a request is a 400.

PostgreSQL's text types cannot hold NUL, so a NUL reaching a query or an INSERT fails there with a server
error, whatever the route. `reject_nul_bytes` runs before every view (registered in the app factory) and
looks at the path, the query string, the headers, the form fields and a page's JSON body (Flask-WTF reads one
as form fields); API bodies are looked at by the API's body readers (`json_nul_field`), which bound their size
before reading them. The API answers in its JSON error
shape, naming the field; a page answers with the error page. Nothing is written either way.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from flask import render_template, request

from outreach.i18n import gettext_here as _

NUL = "\x00"
_CHECKED_BODIES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _first_with_nul(pairs: Iterable[tuple[str, str]]) -> Optional[str]:
    for key, value in pairs:
        if NUL in key or (isinstance(value, str) and NUL in value):
            return key.replace(NUL, "") or "?"
    return None


def nul_location() -> Optional[tuple[str, str]]:
    """Where the request carries a NUL byte: (kind, name), kind one of path, query, header, form, json; else None."""
    if NUL in request.path:
        return "path", "path"
    found = _first_with_nul(request.args.items(multi=True))
    if found is not None:
        return "query", found
    found = _first_with_nul(request.headers.items())
    if found is not None:
        return "header", found
    if request.mimetype in _CHECKED_BODIES:
        found = _first_with_nul(request.form.items(multi=True))
        if found is None:  # an uploaded file's own name (its content is the importer's to read)
            found = _first_with_nul((key, f.filename or "") for key, f in request.files.items(multi=True))
        if found is not None:
            return "form", found
    elif request.is_json and not request.path.startswith("/api/"):
        # Flask-WTF reads a JSON body as a page form's fields; the API reads its own (bounded) bodies.
        found = json_nul_field(request.get_json(silent=True))
        if found is not None:
            return "json", found
    return None


def json_nul_field(value: Any, path: str = "") -> Optional[str]:
    """The dotted path of the first JSON string (value or key) holding a NUL byte, else None."""
    if isinstance(value, str):
        return (path or "_") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return here.replace(NUL, "") or "_"
            found = json_nul_field(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = json_nul_field(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def nul_message(kind: str, name: str) -> str:
    """The refusal, naming where the NUL byte was (whole sentences, for the translators)."""
    name = name[:40]
    if kind == "path":
        return _("Alamat halaman memuat karakter NUL (kode 0) yang tidak diizinkan. Periksa alamatnya; tidak ada "
                 "data yang diubah.")
    if kind == "query":
        return _("Parameter %(name)s memuat karakter NUL (kode 0) yang tidak diizinkan. Hapus karakter itu, lalu "
                 "kirim lagi; tidak ada data yang diubah.", name=name)
    if kind == "header":
        return _("Header %(name)s memuat karakter NUL (kode 0) yang tidak diizinkan; tidak ada data yang diubah.",
                 name=name)
    return _("Isian %(name)s memuat karakter NUL (kode 0) yang tidak diizinkan. Hapus karakter itu, lalu kirim "
             "lagi; tidak ada data yang diubah.", name=name)


def nul_field_message() -> str:
    return _("Isian ini memuat karakter NUL (kode 0) yang tidak diizinkan; ketik ulang isinya.")


def reject_nul_bytes():
    """before_request: 400 when the path, query string, headers or form fields hold a NUL byte."""
    found = nul_location()
    if found is None:
        return None
    from outreach.security import is_api_request, json_error

    message = nul_message(*found)
    if is_api_request():
        return json_error(400, message, errors={found[1]: nul_field_message()})
    return render_template("error.html", code=400, message=message), 400
