"""A national admin uploads a large regions file: the page answers at once with a progress bar that moves while
the runner works, ends with the preview's report (also after a reload), and Terapkan stores it the same way."""
import threading
from datetime import datetime

import pytest
import sqlalchemy as sa

from outreach.imports import tasks
from outreach.models import ImportTask, Region
from tests import builders
from tests.conftest import WIB

pytestmark = [pytest.mark.browser, pytest.mark.at(datetime(2026, 12, 9, 9, 30, tzinfo=WIB))]

DESA = 6000


def regions_csv() -> str:
    rows = ["kode,nama,level,parent_kode,lat,lng", "33.74.05,Kecamatan Lima,kecamatan,33.74,-7.0,110.4"]
    rows += [f"33.74.05.{2001 + i},Desa Uji {i},desa,33.74.05,{-7.0 + i / 100000:.5f},110.41" for i in range(DESA)]
    return "\n".join(rows) + "\n"


@pytest.fixture()
def background(app, tmp_path):
    saved = {k: app.config.get(k) for k in ("IMPORT_UPLOAD_DIR", "IMPORT_TASK_THREAD", "IMPORT_TASK_PROGRESS_SECONDS",
                                            "IMPORT_BACKGROUND_MIN_BYTES")}
    app.config.update(IMPORT_UPLOAD_DIR=str(tmp_path / "uploads"), IMPORT_TASK_THREAD=False,
                      IMPORT_TASK_PROGRESS_SECONDS=0.05, IMPORT_BACKGROUND_MIN_BYTES=10_000)
    yield
    app.config.update(saved)


def run_in_thread(app) -> threading.Thread:
    thread = threading.Thread(target=tasks.work, args=(app,), daemon=True)
    thread.start()
    return thread


def test_upload_shows_progress_to_the_end_and_survives_a_reload(app, db, page, login, screenshot, background,
                                                                tmp_path, monkeypatch):
    builders.make_region("33.74", "Kota Uji")
    builders.make_user("admin", "admin_impor")
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Region))
    # The runner waits at its third tick of the row check until the page has shown the bar half-way.
    seen_halfway = threading.Event()
    ticks = {"n": 0}
    original_tick = tasks.TaskProgress.tick

    def gated_tick(self, n):
        original_tick(self, n)
        ticks["n"] += 1
        if ticks["n"] == 3:
            seen_halfway.wait(timeout=20)

    monkeypatch.setattr(tasks.TaskProgress, "tick", gated_tick)
    upload = tmp_path / "wilayah_besar.csv"
    upload.write_text(regions_csv())

    login(page, "admin_impor", builders.PASSWORD)
    page.goto("/admin/impor")
    page.get_by_label("Jenis data").select_option("regions")
    page.get_by_label("Berkas").set_input_files(str(upload))
    with page.expect_navigation():
        page.get_by_role("button", name="Pratinjau").click()
    assert "/admin/impor/tugas/" in page.url
    assert page.get_by_test_id("task-state").inner_text() == "Menunggu"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == before  # nothing ran in the request

    runner = run_in_thread(app)
    page.wait_for_function("() => { const b = document.querySelector('progress');"
                           " return b.hasAttribute('value') && b.value > 0 && b.value < b.max; }", timeout=15_000)
    phase = page.get_by_test_id("task-phase").inner_text()
    assert phase.startswith("Memeriksa baris") and " dari 6.001" in phase, phase
    screenshot(page, "berjalan")
    seen_halfway.set()

    page.get_by_test_id("task-apply").wait_for(timeout=20_000)  # the page reloaded itself at the end
    runner.join(timeout=30)
    bar = page.locator("progress")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    assert page.get_by_test_id("count-added").inner_text() == "6.001"
    page.reload()
    assert page.get_by_test_id("count-added").inner_text() == "6.001"
    assert page.get_by_test_id("task-state").inner_text() == "Selesai"
    screenshot(page, "pratinjau")

    with page.expect_navigation():
        page.get_by_test_id("task-apply").click()
    assert page.get_by_test_id("task-state").inner_text() == "Menunggu"
    runner = run_in_thread(app)
    page.get_by_test_id("task-stored").wait_for(timeout=20_000)
    runner.join(timeout=30)
    page.reload()
    assert "Impor tersimpan: 6001 ditambah" in page.get_by_test_id("task-stored").inner_text()
    assert page.locator("progress").get_attribute("value") == page.locator("progress").get_attribute("max")
    screenshot(page, "tersimpan")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == before + DESA + 1
    task = db.session.scalar(sa.select(ImportTask))
    assert task.state == "selesai" and task.commit and task.stored_name is None

    with page.expect_navigation():
        page.get_by_test_id("batch-link").click()
    assert page.locator(f"#impor-{task.batch_id}").is_visible()
    assert page.blocked_requests == []
