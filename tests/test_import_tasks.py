"""Large admin uploads in the background: submit -> run_next (preview) -> Terapkan -> run_next (store), the
progress written to the task's row, one claim per task, the sweep of stopped tasks, and the pages."""
import io
import json
import re
import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from outreach.imports import tasks
from outreach.models import ImportBatch, ImportTask, Region
from outreach.models.base import utcnow
from tests import builders
from tests.conftest import WIB

pytestmark = pytest.mark.at(datetime(2026, 12, 7, 10, 0, tzinfo=WIB))

DESA = 3000


def regions_csv(n: int = DESA) -> bytes:
    """A new kecamatan of Kota Uji with `n` desa."""
    rows = ["kode,nama,level,parent_kode,lat,lng", "33.74.05,Kecamatan Lima,kecamatan,33.74,-7.0,110.4"]
    rows += [f"33.74.05.{2001 + i},Desa Uji {i},desa,33.74.05,{-7.0 + i / 100000:.5f},110.41" for i in range(n)]
    return ("\n".join(rows) + "\n").encode()


SQUARE = [[[110.40, -7.01], [110.42, -7.01], [110.42, -6.99], [110.40, -6.99], [110.40, -7.01]]]


@pytest.fixture()
def setup(app, tmp_path):
    """Uploads in a temporary folder, no development thread (the test runs the runner), quick progress."""
    saved = {k: app.config.get(k) for k in ("IMPORT_UPLOAD_DIR", "IMPORT_TASK_THREAD",
                                            "IMPORT_TASK_PROGRESS_SECONDS", "IMPORT_BACKGROUND_MIN_BYTES")}
    app.config.update(IMPORT_UPLOAD_DIR=str(tmp_path / "uploads"), IMPORT_TASK_THREAD=False,
                      IMPORT_TASK_PROGRESS_SECONDS=0.01)
    yield tmp_path / "uploads"
    app.config.update(saved)


def count(db, model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_submit_run_preview_then_apply_with_progress(app, db, world, setup, monkeypatch):
    written = []
    original = tasks.TaskProgress.write

    def record(self, state):
        written.append(state)
        original(self, state)

    monkeypatch.setattr(tasks.TaskProgress, "write", record)
    before = count(db, Region)
    task = tasks.submit("regions", "wilayah.csv", io.BytesIO(regions_csv()), {"valid_only": False},
                        world.users["admin"].id)
    assert task.state == "menunggu" and task.size == len(regions_csv())
    assert (setup / task.stored_name).read_bytes() == regions_csv()
    assert tasks.run_next() == task.id
    db.session.expire_all()
    task = db.session.get(ImportTask, task.id)
    assert task.state == "selesai" and not task.commit and task.batch_id is None
    assert task.result["ok"] and task.result["added"] == DESA + 1 and task.result["unchanged"] == 0
    assert count(db, Region) == before  # a preview writes nothing
    assert task.stored_name in files(setup)  # kept for Terapkan
    assert any(label == "Memeriksa baris" and total and done <= total for label, done, total in written), written
    assert tasks.run_next() is None  # nothing else waits

    written.clear()
    assert tasks.request_apply(task.id, world.users["admin"].id)
    assert not tasks.request_apply(task.id, world.users["admin"].id)  # a second press queues nothing
    assert tasks.run_next() == task.id
    db.session.expire_all()
    task = db.session.get(ImportTask, task.id)
    assert task.state == "selesai" and task.commit and task.result["committed"]
    assert count(db, Region) == before + DESA + 1
    batch = db.session.get(ImportBatch, task.batch_id)
    assert (batch.kind, batch.filename, batch.added, batch.user_id) == \
        ("regions", "wilayah.csv", DESA + 1, world.users["admin"].id)
    assert task.stored_name is None and files(setup) == []  # the file is gone once stored
    assert task.done == task.total and task.finished_at is not None


def test_boundaries_geojson_in_the_background(app, db, world, setup):
    geo = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kode": world.desa1.kode},
         "geometry": {"type": "Polygon", "coordinates": SQUARE}}]}).encode()
    task = tasks.submit("boundaries", "desa.geojson", io.BytesIO(geo), {}, world.users["admin"].id)
    tasks.run_next()
    db.session.expire_all()
    assert db.session.get(ImportTask, task.id).result["added"] == 1
    assert not db.session.get(Region, world.desa1.kode).has_boundary
    assert tasks.request_apply(task.id, world.users["admin"].id)
    tasks.run_next()
    db.session.expire_all()
    assert db.session.get(ImportTask, task.id).batch_id is not None
    assert db.session.get(Region, world.desa1.kode).has_boundary


def test_a_refused_preview_deletes_its_file_and_cannot_be_applied(app, db, world, setup):
    bad = b"kode,nama,level,parent_kode,lat,lng\n33.79.01,Yatim,kecamatan,33.79,-7.0,110.4\n"
    task = tasks.submit("regions", "salah.csv", io.BytesIO(bad), {}, world.users["admin"].id)
    tasks.run_next()
    db.session.expire_all()
    task = db.session.get(ImportTask, task.id)
    assert task.state == "selesai" and not task.result["ok"] and task.result["error_count"] == 1
    assert "Induk" in task.result["errors"][0]["template"] or task.result["errors"][0]["params"]
    assert task.stored_name is None and files(setup) == []
    assert not tasks.can_apply(task) and not tasks.request_apply(task.id, world.users["admin"].id)


def test_valid_only_keeps_the_refused_rows_for_download(app, db, world, setup):
    data = regions_csv(3) + b"33.79.01,Yatim,kecamatan,33.79,-7.0,110.4\n"
    task = tasks.submit("regions", "wilayah.csv", io.BytesIO(data), {"valid_only": True}, world.users["admin"].id)
    tasks.run_next()
    assert tasks.request_apply(task.id, world.users["admin"].id)
    tasks.run_next()
    db.session.expire_all()
    task = db.session.get(ImportTask, task.id)
    assert task.result["committed"] and task.result["refused"] == 1 and task.result["added"] == 4
    token = task.result["rejects_token"]
    assert db.session.get(ImportBatch, task.batch_id).rejects_token == token
    assert b"33.79.01" in (setup / f"{token}.rejects").read_bytes()


def test_two_runners_claim_one_task_once(app, db, world, setup):
    task = tasks.submit("regions", "wilayah.csv", io.BytesIO(regions_csv(5)), {}, world.users["admin"].id)
    barrier = threading.Barrier(2)
    claims = []

    def runner(owner):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                claims.append((owner, tasks.claim_next(owner)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(f"runner-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    won = [owner for owner, claimed in claims if claimed == task.id]
    assert len(claims) == 2 and len(won) == 1
    db.session.expire_all()
    task = db.session.get(ImportTask, task.id)
    assert task.state == "berjalan" and task.owner == won[0]


def test_a_task_without_heartbeat_is_swept_to_gagal(app, db, world, setup):
    user = world.users["admin"].id
    dead = tasks.submit("regions", "a.csv", io.BytesIO(regions_csv(2)), {}, user)
    alive = tasks.submit("regions", "b.csv", io.BytesIO(regions_csv(2)), {}, user)
    assert tasks.claim_next("dead-process") == dead.id
    assert tasks.claim_next("live-process") == alive.id
    db.session.execute(sa.update(ImportTask).where(ImportTask.id == dead.id)
                       .values(heartbeat_at=utcnow() - timedelta(minutes=11)))
    db.session.execute(sa.update(ImportTask).where(ImportTask.id == alive.id)
                       .values(heartbeat_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    assert tasks.sweep()["stopped"] == 1
    db.session.expire_all()
    dead, alive = db.session.get(ImportTask, dead.id), db.session.get(ImportTask, alive.id)
    assert dead.state == "gagal" and dead.result["failure"] == "terhenti" and dead.stored_name is None
    assert "Terhenti" in tasks.failure_text(dead)
    assert alive.state == "berjalan" and alive.stored_name in files(setup)
    assert files(setup) == [alive.stored_name]


def test_old_waiting_tasks_expire_and_old_files_go(app, db, world, setup):
    task = tasks.submit("regions", "a.csv", io.BytesIO(regions_csv(2)), {}, world.users["admin"].id)
    db.session.execute(sa.update(ImportTask).where(ImportTask.id == task.id)
                       .values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert tasks.sweep() == {"stopped": 0, "expired": 1, "files_deleted": 1}
    assert files(setup) == []


def test_the_development_thread_runs_waiting_tasks(app, db, world, setup):
    app.config["IMPORT_TASK_THREAD"] = True
    task = tasks.submit("regions", "a.csv", io.BytesIO(regions_csv(2)), {}, world.users["admin"].id)
    thread = tasks.ensure_runner(app)
    assert thread is not None
    thread.join(timeout=60)
    db.session.expire_all()
    assert db.session.get(ImportTask, task.id).state == "selesai"


def test_the_scheduler_polls_for_import_tasks(app):
    from outreach.jobs.scheduler import build_scheduler

    scheduler = build_scheduler(app)
    assert "_import_tasks" in {j.id for j in scheduler.get_jobs()}


# ---------------------------------------------------------------- the pages

def upload(client, content, filename="wilayah.csv", kind="regions", **extra):
    data = {"kind": kind, "upload": (io.BytesIO(content), filename)}
    data.update(extra)
    return client.post("/admin/impor/pratinjau", data=data, content_type="multipart/form-data")


def task_id_of(resp) -> int:
    assert resp.status_code == 302, resp.status_code
    return int(re.search(r"/admin/impor/tugas/(\d+)$", resp.headers["Location"]).group(1))


def test_large_upload_answers_at_once_and_runs_nothing(app, client, db, world, login_as, setup):
    app.config["IMPORT_BACKGROUND_MIN_BYTES"] = 1000
    login_as("admin")
    before = count(db, Region)
    task_id = task_id_of(upload(client, regions_csv()))
    assert count(db, Region) == before  # nothing ran inside the request
    task = db.session.get(ImportTask, task_id)
    assert task.state == "menunggu" and files(setup) == [task.stored_name]

    html = client.get(f"/admin/impor/tugas/{task_id}").get_data(as_text=True)
    assert "<progress" in html and "Menunggu" in html and "js/import_task.js" in html
    assert 'data-finished="false"' in html
    status = client.get(f"/admin/impor/tugas/{task_id}.json").get_json()
    assert status["state"] == "menunggu" and not status["finished"]
    listing = client.get("/admin/impor").get_data(as_text=True)
    assert f"/admin/impor/tugas/{task_id}" in listing and 'data-testid="import-tasks"' in listing

    tasks.run_next()
    status = client.get(f"/admin/impor/tugas/{task_id}.json").get_json()
    assert status["state"] == "selesai" and status["finished"] and status["done"] == status["total"]
    html = client.get(f"/admin/impor/tugas/{task_id}").get_data(as_text=True)
    assert f'data-testid="count-added">{DESA + 1:,}<'.replace(",", ".") in html
    assert 'data-testid="task-apply"' in html and 'data-finished="true"' in html

    resp = client.post(f"/admin/impor/tugas/{task_id}/terapkan")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/admin/impor/tugas/{task_id}")
    assert client.get(f"/admin/impor/tugas/{task_id}.json").get_json()["state"] == "menunggu"
    assert count(db, Region) == before
    tasks.run_next()
    html = client.get(f"/admin/impor/tugas/{task_id}").get_data(as_text=True)
    assert 'data-testid="task-stored"' in html and "Impor tersimpan" in html
    batch_id = db.session.get(ImportTask, task_id).batch_id
    assert f"#impor-{batch_id}" in html and 'data-testid="task-apply"' not in html
    assert count(db, Region) == before + DESA + 1 and files(setup) == []
    assert f'id="impor-{batch_id}"' in client.get("/admin/impor").get_data(as_text=True)


def test_small_upload_goes_to_the_background_when_asked(app, client, db, world, login_as, setup):
    login_as("admin")
    task_id_of(upload(client, regions_csv(2), background="y"))
    # ... and without asking, a small file keeps today's preview in the request
    resp = upload(client, regions_csv(2))
    assert resp.status_code == 200 and 'data-testid="count-added">3<' in resp.get_data(as_text=True)


def test_a_failed_task_says_why(app, client, db, world, login_as, setup):
    login_as("admin")
    task_id = task_id_of(upload(client, regions_csv(2), background="y"))
    task = db.session.get(ImportTask, task_id)
    (setup / task.stored_name).unlink()
    tasks.run_next()
    html = client.get(f"/admin/impor/tugas/{task_id}").get_data(as_text=True)
    assert 'data-testid="task-failed"' in html and "tidak ditemukan" in html
    assert client.get(f"/admin/impor/tugas/{task_id}.json").get_json()["state"] == "gagal"


def test_only_the_uploading_admin_sees_a_task(app, client, db, world, login_as, setup):
    login_as("admin")
    task_id = task_id_of(upload(client, regions_csv(2), background="y"))
    tasks.run_next()
    builders.make_user("admin", "admin_dua")
    builders.make_user("admin", "admin_kota", scope="33.74")
    db.session.commit()
    urls = [f"/admin/impor/tugas/{task_id}", f"/admin/impor/tugas/{task_id}.json"]
    posts = [f"/admin/impor/tugas/{task_id}/terapkan", f"/admin/impor/tugas/{task_id}/batal"]
    for username in ("admin_dua", "admin_kota"):
        client.post("/logout")
        client.post("/login", data={"username": username, "password": builders.PASSWORD})
        for url in urls:
            assert client.get(url).status_code == 404, (username, url)
        for url in posts:
            assert client.post(url).status_code == 404, (username, url)
        assert f"/admin/impor/tugas/{task_id}" not in client.get("/admin/impor").get_data(as_text=True) \
            if username == "admin_dua" else True
    login_as("manager")
    assert client.get(urls[0]).status_code == 403
    db.session.expire_all()
    assert db.session.get(ImportTask, task_id).state == "selesai"  # nobody else applied it
    assert count(db, ImportBatch) == 0


def test_task_forms_need_their_csrf_token(app, client, db, world, login_as, setup):
    login_as("admin")
    task_id = task_id_of(upload(client, regions_csv(2), background="y"))
    tasks.run_next()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        html = client.get(f"/admin/impor/tugas/{task_id}").get_data(as_text=True)
        assert html.count('name="csrf_token"') >= 2
        assert client.post(f"/admin/impor/tugas/{task_id}/terapkan").status_code == 400
        assert client.post(f"/admin/impor/tugas/{task_id}/batal").status_code == 400
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        resp = client.post(f"/admin/impor/tugas/{task_id}/batal", data={"csrf_token": token})
        assert resp.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert db.session.get(ImportTask, task_id).stored_name is None and files(setup) == []
    assert client.post(f"/admin/impor/tugas/{task_id}/terapkan").status_code == 302
    assert db.session.get(ImportTask, task_id).state == "selesai"  # a cancelled preview is not applied
