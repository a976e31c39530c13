"""Access matrix fragment for the field logging API."""
ALL = {"admin", "manager", "coordinator", "field"}
LOGGERS = {"admin", "coordinator", "field"}

EXPECTED = {
    "api.my_sessions": ALL,
    "api.turnout_detail": ALL,
    "api.turnout_create": LOGGERS,
    "api.turnout_update": LOGGERS,
}
# session_id: the sample of tests/access/planning_api.py (a session of the world's team in the
# coordinator's kecamatan), so every allowed role reaches the view.
