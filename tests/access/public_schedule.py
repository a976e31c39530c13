"""Access matrix fragment for the public schedule of an area and its iCalendar feed (no login)."""
EXPECTED = {
    "public_schedule.schedule_page": "public",
    "public_schedule.schedule_feed": "public",
}
