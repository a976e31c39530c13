"""Access matrix fragment for the maps: the two map pages and the three map data endpoints."""
ALL = {"admin", "manager", "coordinator", "field"}
MAP_ROLES = {"admin", "manager", "coordinator"}

EXPECTED = {
    "maps.coverage": MAP_ROLES,
    "maps.kecamatan": MAP_ROLES,
    "api.map_regions": ALL,
    "api.map_sites": ALL,
    "api.map_sessions": ALL,
}
