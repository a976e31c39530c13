"""The access policy, written out by hand: endpoint -> roles allowed ("public" for everyone).

tests/test_access.py walks every registered route with every role and checks the server against
this table. A new route must be added here (or in a fragment `tests/access/<feature>.py` that
defines EXPECTED and optionally URL_SAMPLES), or the test fails.
"""
import importlib
import pkgutil

ALL = {"admin", "manager", "coordinator", "field"}
STAFF = {"admin", "manager", "coordinator"}
PUBLIC = "public"

EXPECTED = {
    "vendor.asset": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": ALL,
    "auth.logout_everywhere": ALL,
    "auth.change_password": ALL,
    "auth.set_language": PUBLIC,
    "main.home": ALL,
    "main.healthz": PUBLIC,
    "main.favicon": PUBLIC,
    "regions.index": ALL,
    "sites.index": ALL,
    "admin.index": {"admin"},
    "api.openapi": PUBLIC,
}

# Sample values for URL parameters, resolved against the `world` fixture (a callable gets the world).
URL_SAMPLES = {
    "name": "bootstrap",
    "filename": "css/bootstrap.min.css",
    "code": "id",
    "kode": lambda w: w.kec1.kode,
    "site_id": lambda w: w.site1.id,
    "team_id": lambda w: w.team.id,
    "kit_id": lambda w: w.kit.id,
    "user_id": lambda w: w.users["field"].id,
    "id": lambda w: w.site1.id,
}


def _merge_fragments():
    import tests.access as fragments
    for info in pkgutil.iter_modules(fragments.__path__):
        module = importlib.import_module(f"tests.access.{info.name}")
        for endpoint in getattr(module, "EXPECTED", {}):
            assert endpoint not in EXPECTED, f"{endpoint} listed twice in the access matrix"
        EXPECTED.update(getattr(module, "EXPECTED", {}))
        URL_SAMPLES.update(getattr(module, "URL_SAMPLES", {}))


_merge_fragments()
