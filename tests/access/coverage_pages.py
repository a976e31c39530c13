"""Access matrix fragment for the coverage pages: dashboard, area table, trend, forecast, teams, exports.
Field teams do not see the dashboard; what the others see is scoped (tests/test_coverage_pages.py)."""
STAFF = {"admin", "manager", "coordinator"}

EXPECTED = {
    "coverage.dashboard": STAFF,
    "coverage.area_table": STAFF,
    "coverage.trend": STAFF,
    "coverage.forecast": STAFF,
    "coverage.export": STAFF,
    "coverage.teams": STAFF,
    "coverage.teams_export": STAFF,
    "coverage.office_summary": STAFF,
}

URL_SAMPLES = {"dataset": "wilayah", "file_format": "csv"}
