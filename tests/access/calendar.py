"""Access matrix fragment: the admin's planning calendar (list, add, change, delete). Admin only."""
ADMIN = {"admin"}

EXPECTED = {
    "admin.calendar": ADMIN,
    "admin.calendar_new": ADMIN,
    "admin.calendar_edit": ADMIN,
    "admin.calendar_delete": ADMIN,
}


def _sample_calendar_entry(world):
    """A regional holiday of the world's kabupaten, made on demand (the world has none)."""
    from datetime import date

    from outreach.extensions import db
    from outreach.models import CalendarEntry

    entry = CalendarEntry(kind="libur_daerah", first_date=date(2027, 4, 2), last_date=date(2027, 4, 2),
                          name="Hari jadi Kota Uji", region_kode=world.kab.kode)
    db.session.add(entry)
    db.session.commit()
    return entry.id


URL_SAMPLES = {"entry_id": _sample_calendar_entry}
