"""Access of the region browser and site pages (regions.index and sites.index are in the base matrix)."""
from tests.access_matrix import ALL

EDITORS = {"admin", "coordinator"}

EXPECTED = {
    "regions.detail": ALL,
    "regions.boundary": ALL,
    "regions.picker_children": ALL,
    "regions.refuser_followup": EDITORS,
    "sites.detail": ALL,
    "sites.new": EDITORS,
    "sites.edit": EDITORS,
}
