"""Where admin uploads wait on disk: the upload folder (instance/uploads, or IMPORT_UPLOAD_DIR) and the
files listing an import's refused rows. Shared by the web import pages and the background runner."""
from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Optional

from flask import current_app


def upload_dir() -> Path:
    """The upload folder of the current app (created, private)."""
    path = Path(current_app.config.get("IMPORT_UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store_rejects(directory: Path, report, meta: dict) -> Optional[str]:
    """Keep the refused rows of `report` (when there are any) under a random name; returns its token."""
    if report.rejects is None:
        return None
    token = secrets.token_hex(16)
    stem = Path(meta["filename"]).stem or "impor"
    (directory / f"{token}.rejects").write_bytes(report.rejects)
    (directory / f"{token}.json").write_text(json.dumps({"download_name": f"{stem}.ditolak.{report.rejects_ext}",
                                                         "user_id": meta["user_id"]}))
    return token
