"""Access matrix fragment for the field pages: "Jadwal saya", the log form, and the offline
client's service worker and manifest (public: static code, no data; the pages they cache need a login).

Coordinators and admins may open the field pages for the sessions they can see (they correct logs after
the team's window); managers only read figures elsewhere. `session_id` comes from the planning
fragments (a session of the world's team in the coordinator's kecamatan)."""
LOGGERS = {"admin", "coordinator", "field"}

EXPECTED = {
    "field.my_schedule": LOGGERS,
    "field.log_form": LOGGERS,
    "field.service_worker": "public",
    "field.manifest": "public",
}
