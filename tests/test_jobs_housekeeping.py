"""Housekeeping: API tokens expired/revoked long ago, notifications read long ago."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from outreach.jobs.runner import run_job
from outreach.models import ApiToken
from outreach.models.jobs import JobRun, Notification
from tests import builders

NOW = datetime(2026, 9, 15, 20, 30, tzinfo=timezone.utc)


def token(user, name, expires=None, revoked=None):
    t, _raw = ApiToken.issue(user, name=name, days=None)
    t.expires_at, t.revoked_at = expires, revoked
    return t


def test_old_tokens_and_old_read_notifications_go_the_rest_stays(world, db, app):
    user = world.users["manager"]
    days = app.config["HOUSEKEEPING_TOKEN_DAYS"]
    assert days == 30 and app.config["NOTIFICATION_READ_KEEP_DAYS"] == 30
    db.session.add_all([
        token(user, "lama-kedaluwarsa", expires=NOW - timedelta(days=40)),
        token(user, "baru-kedaluwarsa", expires=NOW - timedelta(days=10)),
        token(user, "lama-dicabut", expires=NOW + timedelta(days=300), revoked=NOW - timedelta(days=31)),
        token(user, "baru-dicabut", revoked=NOW - timedelta(days=2)),
        token(user, "berlaku", expires=NOW + timedelta(days=300)),
        token(user, "tanpa-batas"),
    ])
    old_read = builders.make_notification(user, "lama dibaca")
    old_read.read_at = NOW - timedelta(days=45)
    recent_read = builders.make_notification(user, "baru dibaca")
    recent_read.read_at = NOW - timedelta(days=5)
    builders.make_notification(user, "lama belum dibaca", created_at=NOW - timedelta(days=200))
    db.session.commit()

    assert run_job("snapshot", NOW - timedelta(days=40)).status == "done"  # a run long ago: deleted
    assert run_job("snapshot", NOW - timedelta(days=3)).status == "done"  # a recent one: kept
    outcome = run_job("housekeeping", NOW)
    assert outcome.summary == {"tokens_deleted": 2, "notifications_deleted": 1, "job_runs_deleted": 1,
                               "requests_erased": 0, "sites_cleared": 0, "sites_deactivated": 0}
    assert sorted(db.session.scalars(sa.select(JobRun.job))) == ["housekeeping", "snapshot"]
    assert sorted(db.session.scalars(sa.select(ApiToken.name))) == ["baru-dicabut", "baru-kedaluwarsa", "berlaku",
                                                                    "tanpa-batas"]
    assert sorted(db.session.scalars(sa.select(Notification.title))) == ["baru dibaca", "lama belum dibaca"]
