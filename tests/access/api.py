"""Access matrix fragment for the JSON API (/api/v1). api.openapi is public and listed in the main table."""
ALL = {"admin", "manager", "coordinator", "field"}
EDITORS = {"admin", "coordinator"}

EXPECTED = {
    "api.regions_list": ALL,
    "api.region_detail": ALL,
    "api.sites_list": ALL,
    "api.site_create": EDITORS,
    "api.site_detail": ALL,
    "api.site_update": EDITORS,
}
