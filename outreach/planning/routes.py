"""Planning pages: calendar, session list and forms, print, announcements, iCal feed."""
from outreach.planning import bp  # noqa: F401
