"""Access matrix fragment for the coverage API: every signed-in role, answers scoped."""
ALL = {"admin", "manager", "coordinator", "field"}

EXPECTED = {
    "api.coverage_get": ALL,
    "api.coverage_trend": ALL,
    "api.coverage_areas": ALL,
    "api.coverage_forecast": ALL,
    "api.coverage_teams": ALL,
    "api.coverage_pemilih_pemula": ALL,
}
