"""Admin: web imports (upload, preview without writing, then commit).

The uploaded file waits between preview and commit in instance/uploads/ under a random name (never
in the session cookie); it is deleted after the commit, on cancel, or after a day. When only the valid
rows are kept, the refused rows with their reasons wait there too (a `.rejects` file under its own random
name, named on the ImportBatch) for a day, for national admins to download.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from outreach.i18n import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Regexp, ValidationError
from wtforms.validators import Optional as OptionalValue

from outreach.admin import bp, import_tasks
from outreach.extensions import db
from outreach.imports.apply import KINDS, options_from_config, run_import
from outreach.imports.common import ValueProblem
from outreach.imports.sites import parse_jenjang_filter
from outreach.imports.uploads import store_rejects, upload_dir  # noqa: F401  (tests import them here)
from outreach.models import ImportBatch, User
from outreach.security import national_admin_required
from outreach.vocab import labels_of

TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
UPLOAD_MAX_AGE_SECONDS = 24 * 3600


def kind_labels() -> dict:
    return {"regions": _("Wilayah (CSV)"), "boundaries": _("Batas wilayah (GeoJSON)"),
            "sites": _("Lokasi / sekolah (CSV)"), "targets": _("Target SIAK (CSV)")}


class ImportUploadForm(FlaskForm):
    kind = SelectField(_l("Jenis data"), choices=[])
    upload = FileField(_l("Berkas"), validators=[FileRequired(_l("Pilih berkas untuk diunggah."))])
    jenjang = StringField(_l("Hanya jenjang sekolah (opsional)"), validators=[OptionalValue()],
                          description=_l("Untuk impor lokasi/sekolah, mis. SMA,SMK,SLB. Kosongkan untuk semua jenjang."))
    valid_only = BooleanField(_l("Simpan baris yang sah saja"),
                              description=_l("Baris yang salah ditolak satu per satu dan dapat diunduh beserta "
                                             "alasannya. Tanpa pilihan ini, satu baris salah menolak seluruh berkas."))
    accept_points = BooleanField(_l("Terima titik koordinat apa adanya"),
                                 description=_l("Untuk impor lokasi/sekolah: titik yang berada di luar kecamatannya "
                                                "tetap dilaporkan, tetapi tidak dipindah ke titik pusat desa."))
    background = BooleanField(_l("Proses di latar belakang"),
                              description=_l("Halaman langsung kembali dan menampilkan kemajuan pemeriksaan; cocok "
                                             "untuk berkas besar. Berkas di atas %(mb)s MB selalu diproses di "
                                             "latar belakang."))
    submit = SubmitField(_l("Pratinjau"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = list(kind_labels().items())

    def validate_jenjang(self, field):
        try:
            parse_jenjang_filter(field.data)
        except ValueProblem as exc:
            raise ValidationError(_(exc.template, **exc.params)) from None


class ImportTokenForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(TOKEN_RE)])
    submit = SubmitField(_l("Simpan"))


# ---------------------------------------------------------------- stored uploads

def store_upload(directory: Path, data: bytes, meta: dict) -> str:
    """Keep an uploaded file under a random name; returns its token."""
    purge_stale_uploads(directory)
    token = secrets.token_hex(16)
    (directory / f"{token}.upload").write_bytes(data)
    (directory / f"{token}.json").write_text(json.dumps(meta))
    return token


def load_upload(directory: Path, token: str) -> Optional[tuple[dict, bytes]]:
    if not TOKEN_RE.match(token or ""):
        return None
    try:
        meta = json.loads((directory / f"{token}.json").read_text())
        return meta, (directory / f"{token}.upload").read_bytes()
    except (OSError, ValueError):
        return None


def delete_upload(directory: Path, token: str) -> None:
    if TOKEN_RE.match(token or ""):
        for suffix in (".upload", ".rejects", ".json"):
            (directory / f"{token}{suffix}").unlink(missing_ok=True)


def purge_stale_uploads(directory: Path, max_age: float = UPLOAD_MAX_AGE_SECONDS) -> None:
    cutoff = time.time() - max_age
    for path in [*directory.glob("*.upload"), *directory.glob("*.rejects")]:
        try:
            if path.stat().st_mtime < cutoff:
                delete_upload(directory, path.stem)
        except OSError:
            pass


def load_rejects(directory: Path, token: str) -> Optional[tuple[str, Path]]:
    if not TOKEN_RE.match(token or ""):
        return None
    path = directory / f"{token}.rejects"
    try:
        meta = json.loads((directory / f"{token}.json").read_text())
    except (OSError, ValueError):
        return None
    return (meta["download_name"], path) if path.exists() else None


def _options(meta: dict):
    return options_from_config(current_app.config, filename=meta["filename"], user_id=meta["user_id"],
                               jenjang=parse_jenjang_filter(meta.get("jenjang")),
                               valid_only=bool(meta.get("valid_only")), accept_points=bool(meta.get("accept_points")))


def _display_name(name: Optional[str]) -> str:
    return os.path.basename((name or "").replace("\\", "/"))[:255] or "unggahan"


# ---------------------------------------------------------------- views

@bp.route("/admin/impor")
@national_admin_required
def import_index():
    return _index(ImportUploadForm())


def _index(form: ImportUploadForm):
    batches = db.session.execute(
        sa.select(ImportBatch, User.username).outerjoin(User, ImportBatch.user_id == User.id)
        .order_by(ImportBatch.id.desc()).limit(50)).all()
    form.background.description = form.background.description % {"mb": _mb(_background_min_bytes())}
    return render_template("admin/imports/index.html", form=form, batches=batches, kind_labels=kind_labels(),
                           tasks=import_tasks.recent_tasks(current_user), task_state_labels=labels_of("import_task_state"),
                           max_mb=_max_mb(), title=_("Impor data"))


@bp.route("/admin/impor/pratinjau", methods=["POST"])
@national_admin_required
def import_preview():
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _index(form)
    meta = {"kind": form.kind.data, "filename": _display_name(form.upload.data.filename),
            "user_id": current_user.id, "jenjang": (form.jenjang.data or "").strip(),
            "valid_only": bool(form.valid_only.data), "accept_points": bool(form.accept_points.data)}
    if form.background.data or _upload_size(form.upload.data) > _background_min_bytes():
        return import_tasks.start(meta["kind"], meta["filename"], form.upload.data,
                                  {k: meta[k] for k in ("jenjang", "valid_only", "accept_points")})
    data = form.upload.data.read()
    report = run_import(meta["kind"], data, _options(meta), commit=False)
    directory = upload_dir()
    token = store_upload(directory, data, meta) if report.ok else None
    return _preview(report, meta, token, store_rejects(directory, report, meta))


def _preview(report, meta: dict, token: Optional[str], rejects_token: Optional[str] = None):
    return render_template("admin/imports/preview.html", report=report, meta=meta, kind_labels=kind_labels(),
                           commit_form=ImportTokenForm(token=token) if token else None,
                           cancel_form=ImportTokenForm(token=token) if token else None,
                           rejects_token=rejects_token, title=_("Pratinjau impor"))


@bp.route("/admin/impor/simpan", methods=["POST"])
@national_admin_required
def import_commit():
    form = ImportTokenForm()
    directory = upload_dir()
    stored = load_upload(directory, form.token.data) if form.validate_on_submit() else None
    if stored is None or stored[0].get("user_id") != current_user.id or stored[0].get("kind") not in KINDS:
        flash(_("Pratinjau tidak ditemukan atau sudah kedaluwarsa. Unggah berkasnya lagi."), "warning")
        return redirect(url_for("admin.import_index"))
    meta, data = stored
    report = run_import(meta["kind"], data, _options(meta), commit=True)
    delete_upload(directory, form.token.data)
    if not report.committed:
        flash(_("Data di basis data berubah sejak pratinjau dan berkas ini kini ditolak. Tidak ada yang disimpan."),
              "error")
        return _preview(report, meta, None)
    rejects_token = store_rejects(directory, report, meta)
    if rejects_token is not None:
        db.session.get(ImportBatch, report.batch_id).rejects_token = rejects_token
        db.session.commit()
        flash(_("Impor tersimpan: %(added)d ditambah, %(updated)d diperbarui, %(unchanged)d tidak berubah, "
                "%(refused)d baris ditolak (unduh daftarnya di tabel Impor terakhir).",
                added=report.added, updated=report.updated, unchanged=report.unchanged, refused=report.refused),
              "warning")
        return redirect(url_for("admin.import_index"))
    flash(_("Impor tersimpan: %(added)d ditambah, %(updated)d diperbarui, %(unchanged)d tidak berubah.",
            added=report.added, updated=report.updated, unchanged=report.unchanged), "success")
    return redirect(url_for("admin.import_index"))


@bp.route("/admin/impor/ditolak/<token>")
@national_admin_required
def import_rejects(token: str):
    """The refused rows of an import (or of a preview) with their reasons, while they are kept (a day)."""
    stored = load_rejects(upload_dir(), token)
    if stored is None:
        flash(_("Daftar baris yang ditolak sudah tidak tersedia (disimpan satu hari). Impor berkasnya lagi dengan "
                "pilihan \"Simpan baris yang sah saja\" untuk membuatnya kembali."), "warning")
        return redirect(url_for("admin.import_index"))
    download_name, path = stored
    mimetype = "application/geo+json" if download_name.endswith(".geojson") else "text/csv"
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=download_name, max_age=0)


@bp.route("/admin/impor/batal", methods=["POST"])
@national_admin_required
def import_cancel():
    form = ImportTokenForm()
    if form.validate_on_submit():
        directory = upload_dir()
        stored = load_upload(directory, form.token.data)
        if stored is not None and stored[0].get("user_id") == current_user.id:
            delete_upload(directory, form.token.data)
    flash(_("Impor dibatalkan. Tidak ada yang disimpan."), "info")
    return redirect(url_for("admin.import_index"))


def _upload_size(upload) -> int:
    """The uploaded file's size, without reading it (Werkzeug keeps a large upload in a temporary file)."""
    stream = upload.stream
    position = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


def _background_min_bytes() -> int:
    return int(current_app.config.get("IMPORT_BACKGROUND_MIN_BYTES", 2 * 1024 * 1024))


def _max_mb() -> str:
    return _mb(current_app.config.get("MAX_CONTENT_LENGTH") or 0)


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f}".rstrip("0").rstrip(".")


@bp.errorhandler(413)
def upload_too_large(error):
    """A friendly page when an upload is over MAX_CONTENT_LENGTH (nothing was read or saved)."""
    if (request.endpoint or "").startswith("admin.import"):
        return render_template("admin/imports/too_large.html", max_mb=_max_mb(), title=_("Berkas terlalu besar")), 413
    return render_template("error.html", code=413, message=_("Berkas atau isi permintaan terlalu besar.")), 413
