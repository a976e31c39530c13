"""Large admin uploads processed in the background: submit, claim, run, report, sweep.

`submit(...)` streams the uploaded file to the upload folder (instance/uploads/<random>.bin) and stores an
ImportTask "menunggu"; the web request answers at once. `run_next()` claims the oldest waiting task with one
conditional UPDATE (state still "menunggu"), so two runners (two schedulers, a scheduler and a development
thread) never run one task twice, and runs `run_import` on it. `sweep()` marks a running task whose heartbeat
is older than IMPORT_TASK_STALE_MINUTES as failed ("terhenti"), expires tasks left waiting for a day, and
deletes the files of tasks finished more than a day ago (a finished preview keeps its file that long, for
"Terapkan").

One row lives through preview and apply: a task first previews (commit=False): the admin sees the report on
the task's page; "Terapkan" sets the same row back to "menunggu" with commit=True (again one conditional
UPDATE: a double click applies once), and the runner stores the file in the background too. A commit's file
is deleted as soon as it ran; a refused preview's file too.

Progress and the import's transaction. The import runs in the runner's session and commits once, at its end
(all or nothing). Its progress must not be written through that session (a commit there would commit the
import halfway). So `TaskProgress` keeps phase/done/total in memory (the import's loops only add to a
counter: they never wait for the database on its behalf), and a flusher thread writes them, with the
heartbeat, to the task's row on a connection of its own, at most once a second. On PostgreSQL that UPDATE
never waits: the import does not touch import_task rows. On SQLite the import holds the database's only
write lock while it writes its rows ("Menyimpan"): the flusher's UPDATE then waits (busy timeout) or fails
and is tried again on the next beat, in its own thread, so the import is never slowed or blocked by it and
the page shows that phase's start and then the result. That is also why the stale limit is minutes, not
seconds: a long SQLite write phase renews no heartbeat.

Outside Flask's request cycle but inside an app context (the scheduler's, a test's, a development thread's).
"""
from __future__ import annotations

import json
import logging
import secrets
import shutil
import threading
import traceback
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from outreach.extensions import db
from outreach.i18n import N_
from outreach.i18n import gettext_here as _
from outreach.imports.common import ImportReport, Problem
from outreach.imports.uploads import store_rejects, upload_dir
from outreach.models.base import utcnow
from outreach.models import ImportBatch
from outreach.models.imports import ImportTask

log = logging.getLogger("outreach.imports.tasks")

tasks = ImportTask.__table__

DEFAULTS = {
    # An upload larger than this (bytes) is processed in the background (the admin may also ask for it).
    "IMPORT_BACKGROUND_MIN_BYTES": 2 * 1024 * 1024,
    # How often the runner writes a task's progress and heartbeat (seconds), how often the scheduler looks
    # for waiting tasks, and after how long without a heartbeat a running task counts as stopped.
    "IMPORT_TASK_PROGRESS_SECONDS": 1.0,
    "IMPORT_TASK_POLL_SECONDS": 3,
    "IMPORT_TASK_STALE_MINUTES": 10,
    # Waiting tasks, and the files of finished ones, are dropped after this many hours.
    "IMPORT_TASK_KEEP_HOURS": 24,
    # The development server runs waiting tasks on a thread of its own when no scheduler holds its lock;
    # False: never (tests, or a deployment that always runs the scheduler).
    "IMPORT_TASK_THREAD": True,
}

# Why a task failed, shown on its page.
FAILURES = {
    "terhenti": N_("Terhenti: proses impor tidak memberi kabar lebih dari %(m)d menit (server dimulai ulang atau "
                   "kehabisan memori?). Tidak ada yang disimpan; unggah berkasnya lagi."),
    "kedaluwarsa": N_("Kedaluwarsa: tugas menunggu lebih dari satu hari tanpa dijalankan. Pastikan penjadwal "
                      "(flask run-scheduler) berjalan, lalu unggah berkasnya lagi."),
    "berkas_hilang": N_("Berkas unggahan tidak ditemukan lagi di server. Unggah berkasnya lagi."),
    "galat": N_("Impor gagal karena kesalahan di server; tidak ada yang disimpan. Pesan teknis: %(detail)s"),
}


def setting(key: str):
    return current_app.config.get(key, DEFAULTS[key])


# ---------------------------------------------------------------- submit

def submit(kind: str, filename: str, source: BinaryIO, options: dict, user_id: Optional[int]) -> ImportTask:
    """Stream `source` (an upload's file object) into the upload folder and queue a preview of it. Commits."""
    directory = upload_dir()
    stored_name = f"{secrets.token_hex(16)}.bin"
    path = directory / stored_name
    with open(path, "wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
    task = ImportTask(kind=kind, filename=(filename or "")[:255], options=dict(options), stored_name=stored_name,
                      size=path.stat().st_size, commit=False, state="menunggu", phase="", done=0, user_id=user_id)
    db.session.add(task)
    db.session.commit()
    return task


def request_apply(task_id: int, user_id: int) -> bool:
    """Queue the storing of a finished, acceptable preview (one conditional UPDATE: a second press is a no-op)."""
    task = db.session.get(ImportTask, task_id)
    if not can_apply(task) or task.user_id != user_id:
        return False
    changed = db.session.execute(
        sa.update(tasks).where(tasks.c.id == task_id, tasks.c.state == "selesai", tasks.c.commit.is_(False),
                               tasks.c.stored_name.is_not(None))
        .values(state="menunggu", commit=True, phase="", done=0, total=None, owner=None, started_at=None,
                heartbeat_at=None, finished_at=None)).rowcount
    db.session.commit()
    return changed == 1


def can_apply(task: Optional[ImportTask]) -> bool:
    """A finished preview whose file is still kept and that found the file acceptable."""
    return (task is not None and task.state == "selesai" and not task.commit and task.stored_name is not None
            and bool((task.result or {}).get("ok")))


def cancel(task_id: int, user_id: int) -> bool:
    """Drop a finished preview's file (the admin does not store it)."""
    task = db.session.get(ImportTask, task_id)
    if task is None or task.user_id != user_id or task.state != "selesai" or task.commit:
        return False
    _delete_file(task.stored_name)
    task.stored_name = None
    db.session.commit()
    return True


# ---------------------------------------------------------------- run

def claim_next(owner: str) -> Optional[int]:
    """Claim the oldest waiting task for `owner`; its id, or None when none waits. Commits."""
    for _attempt in range(5):
        task_id = db.session.scalar(sa.select(tasks.c.id).where(tasks.c.state == "menunggu")
                                    .order_by(tasks.c.id).limit(1))
        if task_id is None:
            db.session.rollback()
            return None
        now = utcnow()
        claimed = db.session.execute(
            sa.update(tasks).where(tasks.c.id == task_id, tasks.c.state == "menunggu")
            .values(state="berjalan", owner=owner, started_at=now, heartbeat_at=now, phase="", done=0,
                    total=None)).rowcount
        db.session.commit()
        if claimed == 1:
            return task_id
    return None  # others keep taking them first: they run them


def run_next(owner: Optional[str] = None) -> Optional[int]:
    """Claim one waiting task and run it to its end; its id, or None when none was waiting."""
    from outreach.jobs.lease import new_owner

    owner = owner or new_owner()
    task_id = claim_next(owner)
    if task_id is not None:
        run_claimed(task_id, owner)
    return task_id


def run_claimed(task_id: int, owner: str) -> None:
    """Run a task this runner claimed and record its result (never raises for the import's own failure)."""
    from outreach.imports.apply import options_from_config, run_import
    from outreach.imports.sites import parse_jenjang_filter

    task = db.session.get(ImportTask, task_id)
    kind, commit, stored_name = task.kind, task.commit, task.stored_name
    meta = {"filename": task.filename, "user_id": task.user_id}
    choices = dict(task.options or {})
    db.session.rollback()  # nothing of ours stays open while the import runs
    path = upload_dir() / stored_name if stored_name else None
    if path is None or not path.exists():
        _finish(task_id, owner, "gagal", {"failure": "berkas_hilang"}, delete_file=True)
        return
    progress = TaskProgress(db.engine, task_id, owner, float(setting("IMPORT_TASK_PROGRESS_SECONDS")))
    try:
        with progress:
            options = options_from_config(current_app.config, filename=meta["filename"], user_id=meta["user_id"],
                                          jenjang=parse_jenjang_filter(choices.get("jenjang")),
                                          valid_only=bool(choices.get("valid_only")),
                                          accept_points=bool(choices.get("accept_points")), progress=progress)
            report = run_import(kind, path.read_bytes(), options, commit=commit)
    except Exception as exc:  # recorded on the task, never propagated into the scheduler
        db.session.rollback()
        log.exception("import task %s failed", task_id)
        detail = f"{type(exc).__name__}: {exc}"[:300]
        _finish(task_id, owner, "gagal", {"failure": "galat", "detail": detail,
                                          "trace": traceback.format_exc(limit=6)[-2000:]}, delete_file=True)
        return
    rejects_token = store_rejects(upload_dir(), report, meta) if report.ok else None
    if report.committed and rejects_token is not None:
        db.session.execute(sa.update(ImportBatch).where(ImportBatch.id == report.batch_id)
                           .values(rejects_token=rejects_token))
    _finish(task_id, owner, "selesai", summary_of(report, rejects_token), batch_id=report.batch_id,
            delete_file=commit or not report.ok, done=progress.done, total=progress.total)


def _finish(task_id: int, owner: str, state: str, result: dict, batch_id: Optional[int] = None,
            delete_file: bool = False, **progress) -> None:
    """Record the outcome (fenced by the owner: a runner that lost its task to the sweep still tells the truth
    about what it did, but another runner's task is never touched). Commits."""
    values = {"state": state, "result": result, "finished_at": utcnow(), "heartbeat_at": utcnow()}
    if batch_id is not None:
        values["batch_id"] = batch_id
    values.update({k: v for k, v in progress.items() if v is not None})
    stored_name = db.session.scalar(sa.select(tasks.c.stored_name).where(tasks.c.id == task_id))
    if delete_file:
        values["stored_name"] = None
    db.session.execute(sa.update(tasks).where(tasks.c.id == task_id, tasks.c.owner == owner).values(**values))
    db.session.commit()
    if delete_file:
        _delete_file(stored_name)


def _delete_file(stored_name: Optional[str]) -> None:
    if stored_name:
        (upload_dir() / Path(stored_name).name).unlink(missing_ok=True)


class TaskProgress:
    """What `run_import` ticks (the interface of outreach.imports.progress.ProgressLine), kept in memory and
    written with the heartbeat to the task's row by a thread of its own (see the module docstring)."""

    def __init__(self, engine, task_id: int, owner: str, every: float = 1.0):
        self.engine, self.task_id, self.owner, self.every = engine, task_id, owner, max(float(every), 0.05)
        self.label, self.total, self.done = "", None, 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"import-task-{task_id}", daemon=True)

    def __enter__(self) -> "TaskProgress":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 30)
        try:  # the last state, also of an import shorter than one beat
            self.write(self.snapshot())
        except SQLAlchemyError as exc:
            log.info("last progress of import task %s not written: %s", self.task_id, str(exc).splitlines()[0])

    def phase(self, label: str, total: Optional[int]):
        with self._lock:
            self.label, self.total, self.done = label, total, 0
        return self.tick

    def tick(self, n: int) -> None:
        with self._lock:
            self.done += n

    def finish(self) -> None:
        """The end of a phase: its total is what was done, when it was not known or overestimated."""
        with self._lock:
            if self.total is not None and self.done and self.done != self.total:
                self.total = self.done

    def snapshot(self) -> tuple[str, int, Optional[int]]:
        with self._lock:
            return self.label, self.done, self.total

    def _beat(self) -> None:
        failing = False
        while not self._stop.wait(self.every):
            state = self.snapshot()
            try:
                self.write(state)
            except SQLAlchemyError as exc:  # SQLite while the import writes: tried again on the next beat
                if not failing:
                    log.info("progress of import task %s not written yet: %s", self.task_id,
                             str(exc).splitlines()[0])
                failing = True
                continue
            failing = False

    def write(self, state: tuple[str, int, Optional[int]]) -> None:
        label, done, total = state
        with self.engine.begin() as conn:
            conn.execute(sa.update(tasks).where(tasks.c.id == self.task_id, tasks.c.owner == self.owner,
                                                tasks.c.state == "berjalan")
                         .values(phase=label[:80], done=done, total=total, heartbeat_at=utcnow()))


# ---------------------------------------------------------------- sweep

def sweep() -> dict:
    """Fail running tasks without a heartbeat for IMPORT_TASK_STALE_MINUTES ("terhenti"), expire tasks waiting
    longer than IMPORT_TASK_KEEP_HOURS, delete the files of tasks finished longer ago. Commits."""
    now = utcnow()
    stale_minutes = float(setting("IMPORT_TASK_STALE_MINUTES"))
    keep = timedelta(hours=float(setting("IMPORT_TASK_KEEP_HOURS")))
    stopped = db.session.execute(
        sa.update(tasks).where(tasks.c.state == "berjalan",
                               tasks.c.heartbeat_at < now - timedelta(minutes=stale_minutes))
        .values(state="gagal", finished_at=now, result={"failure": "terhenti", "minutes": int(stale_minutes)})
        .returning(tasks.c.id)).scalars().all()
    expired = db.session.execute(
        sa.update(tasks).where(tasks.c.state == "menunggu", tasks.c.created_at < now - keep)
        .values(state="gagal", finished_at=now, result={"failure": "kedaluwarsa"})
        .returning(tasks.c.id)).scalars().all()
    old_files = db.session.execute(
        sa.select(tasks.c.id, tasks.c.stored_name).where(
            tasks.c.stored_name.is_not(None),
            sa.or_(tasks.c.id.in_(stopped + expired),
                   sa.and_(tasks.c.state.in_(("selesai", "gagal")), tasks.c.finished_at < now - keep)))).all()
    if old_files:
        db.session.execute(sa.update(tasks).where(tasks.c.id.in_([i for i, _n in old_files]))
                           .values(stored_name=None))
    db.session.commit()
    for _id, name in old_files:
        _delete_file(name)
    if stopped:
        log.warning("import tasks %s stopped sending heartbeats; marked failed", stopped)
    return {"stopped": len(stopped), "expired": len(expired), "files_deleted": len(old_files)}


def work(app) -> int:
    """Sweep, then run the waiting tasks one after another (the scheduler's poll, the development thread)."""
    ran = 0
    with app.app_context():
        try:
            sweep()
            while run_next() is not None:
                ran += 1
        finally:
            db.session.remove()
    return ran


# ---------------------------------------------------------------- the development server

_thread_lock = threading.Lock()
_thread: Optional[threading.Thread] = None


def ensure_runner(app) -> Optional[threading.Thread]:
    """Without a scheduler (the development server alone), run the waiting tasks on a daemon thread of this
    process; the request that queued one returns at once either way. None when the scheduler will do it."""
    if not app.config.get("IMPORT_TASK_THREAD", DEFAULTS["IMPORT_TASK_THREAD"]):
        return None
    from outreach.jobs.scheduler import scheduler_status

    if scheduler_status(app) is not None:
        return None
    return start_worker(app)


def start_worker(app) -> threading.Thread:
    """The thread of this process that runs the waiting tasks (started when none runs): the scheduler's poll
    calls it every IMPORT_TASK_POLL_SECONDS, so a long import never holds up the scheduler's other jobs."""
    global _thread
    with _thread_lock:
        if _thread is not None and _thread.is_alive():
            return _thread  # it takes the new task once the current one is done
        _thread = threading.Thread(target=_run_in_thread, args=(app,), name="import-tasks", daemon=True)
        _thread.start()
        return _thread


def _run_in_thread(app) -> None:
    from outreach.jobs.outage import is_database_down

    try:
        # Until nothing waits: a task queued while the last one ran is taken too.
        while work(app):
            pass
    except Exception as exc:  # logged; the next poll (or upload) starts a thread again
        if is_database_down(exc):
            log.warning("import tasks: database unavailable (%s)", str(exc).splitlines()[0])
        else:
            log.exception("import task thread failed")


# ---------------------------------------------------------------- what the pages show

def summary_of(report: ImportReport, rejects_token: Optional[str] = None) -> dict:
    """The report's counts and first problems, as JSON for the task's row."""
    def problems(items):
        return [{"line": p.line, "template": p.template, "params": _jsonable(p.params), "fatal": p.fatal}
                for p in items]
    return {"ok": report.ok, "committed": report.committed, "batch_id": report.batch_id,
            "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "skipped": report.skipped, "refused": report.refused, "valid_only": report.valid_only,
            "error_count": max(report.error_count, len(report.errors)),
            "warning_count": max(report.warning_count, len(report.warnings)),
            "errors": problems(report.errors), "warnings": problems(report.warnings), "notes": problems(report.notes),
            "samples": [list(s) for s in report.samples], "rejects_token": rejects_token}


def report_of(task: ImportTask) -> Optional[ImportReport]:
    """The stored summary as an ImportReport (for the preview's template); None before the task finished."""
    result = task.result or {}
    if "ok" not in result:
        return None

    def problems(items):
        return [Problem(p["line"], p["template"], p.get("params") or {}, p.get("fatal", False)) for p in items]
    report = ImportReport(kind=task.kind, filename=task.filename, added=result["added"], updated=result["updated"],
                          unchanged=result["unchanged"], skipped=result.get("skipped", 0),
                          errors=problems(result["errors"]), warnings=problems(result["warnings"]),
                          notes=problems(result["notes"]), samples=[tuple(s) for s in result["samples"]],
                          committed=result["committed"], batch_id=result["batch_id"],
                          valid_only=result["valid_only"], refused=result["refused"])
    report.error_count, report.warning_count = result["error_count"], result["warning_count"]
    return report


def failure_text(task: ImportTask) -> str:
    result = task.result or {}
    template = FAILURES.get(result.get("failure"), FAILURES["galat"])
    return _(template, m=int(result.get("minutes") or setting("IMPORT_TASK_STALE_MINUTES")),
             detail=result.get("detail") or "?")


def progress_text(label: str, done: int, total: Optional[int]) -> str:
    """"Memeriksa baris 12.000 dari 83.000" (the phase translated, numbers the Indonesian way)."""
    from outreach.templating import fmt_number

    if not label:
        return ""
    if total:
        return _("%(phase)s %(done)s dari %(total)s", phase=_(label), done=fmt_number(min(done, total)),
                 total=fmt_number(total))
    return _("%(phase)s: %(done)s", phase=_(label), done=fmt_number(done))


def status_of(task: ImportTask) -> dict:
    """What the task's page and its JSON endpoint show: state, phase text, done/total, result."""
    from outreach.vocab import labels_of

    finished = task.state in ("selesai", "gagal")
    total = task.total
    done = task.done or 0
    if finished and task.state == "selesai":
        total = total or done or 1
        done = total
    return {"id": task.id, "state": task.state, "state_label": labels_of("import_task_state")[task.state],
            "commit": bool(task.commit), "finished": finished, "phase": task.phase or "",
            "phase_text": progress_text(task.phase, done, total) if not finished else "",
            "done": done, "total": total, "failure": failure_text(task) if task.state == "gagal" else None}


def _jsonable(params: dict) -> dict:
    return json.loads(json.dumps(params or {}, default=str))
