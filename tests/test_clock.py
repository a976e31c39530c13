"""The one clock: "today" is the offices' day (WIB), not the server's, even while UTC is still yesterday."""
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from outreach import clock
from outreach.models import Site, TargetCount
from tests.conftest import WIB
from tests.test_sites_pages import valid_form

NEW_YEAR_MORNING = datetime(2027, 1, 1, 6, 30, tzinfo=WIB)  # 31 Dec 2026, 23.30 in UTC


@pytest.mark.at(NEW_YEAR_MORNING)
def test_today_is_the_offices_day_before_seven_in_the_morning():
    assert datetime.now(timezone.utc).date() == date(2026, 12, 31)
    assert clock.local_today() == date(2027, 1, 1)
    assert clock.local_now().utcoffset().total_seconds() == 7 * 3600


def test_the_offices_zone_is_a_setting(app):
    with app.app_context():
        saved = app.config["BABEL_DEFAULT_TIMEZONE"]
        app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Jayapura"  # WIT, UTC+9
        try:
            assert clock.local_now().utcoffset().total_seconds() == 9 * 3600
        finally:
            app.config["BABEL_DEFAULT_TIMEZONE"] = saved


@pytest.mark.at(NEW_YEAR_MORNING)
def test_calendar_marks_the_offices_today(client, login_as):
    login_as("coordinator")
    html = client.get("/kalender?view=week&start=2026-12-28").get_data(as_text=True)
    assert 'class=" jb-holiday jb-today"\n          data-date="2027-01-01"' in html
    assert 'data-date="2026-12-31"' in html and 'jb-today"\n          data-date="2026-12-31"' not in html
    # Planning links start from the offices' today: none for 31 December, which is already past.
    assert 'data-testid="add-2027-01-01"' in html and 'data-testid="add-2026-12-31"' not in html


@pytest.mark.at(NEW_YEAR_MORNING)
def test_pemilih_pemula_typed_in_the_site_form_are_dated_by_the_offices_day(client, login_as, world):
    login_as("coordinator")
    form = valid_form(type="sekolah", nama="SMA Negeri Tahun Baru", npsn="99740001", jenjang="SMA",
                      school_status="negeri", pemilih_pemula="80")
    assert client.post("/lokasi/baru", data=form).status_code == 302
    site = client.application.extensions["sqlalchemy"].session.scalar(
        sa.select(Site).where(Site.nama == "SMA Negeri Tahun Baru"))
    assert site.pemilih_pemula == 80 and site.pemilih_pemula_as_of == date(2027, 1, 1)
    count = client.application.extensions["sqlalchemy"].session.scalar(
        sa.select(TargetCount).where(TargetCount.site_id == site.id))
    assert count.as_of == date(2027, 1, 1)
