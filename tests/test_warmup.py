"""A worker made ready before its first request (outreach.warmup, gunicorn's post_worker_init)."""
import sqlalchemy as sa

from outreach.warmup import warm_up


def test_warm_up_loads_the_templates_and_runs_the_dashboard_statements(app, world, db):
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        done = warm_up(app)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert done["templates"] >= 50
    assert len(app.jinja_env.cache) >= 50  # kept loaded for the requests to come
    assert any("desa_tally" in s or "kecamatan_totals" in s for s in statements)  # the figures' statement ran
    assert any("recording_session" in s for s in statements)  # and the sessions'


def test_warm_up_of_an_empty_database_does_not_fail(app, db):
    assert warm_up(app)["templates"] >= 50
