"""Access matrix: admin jobs page and the notification pages."""
ALL = {"admin", "manager", "coordinator", "field"}

EXPECTED = {
    "jobs.admin_jobs": {"admin"},
    "jobs.run_now": {"admin"},
    "jobs.notifications": ALL,
    "jobs.mark_read": ALL,
    "jobs.mark_all_read": ALL,
}


def _field_users_notification(world):
    from outreach.extensions import db
    from tests.builders import make_notification

    note = make_notification(world.users["field"], title="Uji akses")
    db.session.commit()
    return note.id


URL_SAMPLES = {
    "job_name": "housekeeping",
    "notification_id": _field_users_notification,
}
