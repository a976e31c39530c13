"""Access matrix fragment: the public visit-request pages and API (no login)."""
PUBLIC = "public"

EXPECTED = {
    "public_requests.request_form": PUBLIC,
    "public_requests.sent": PUBLIC,
    "public_requests.status": PUBLIC,
    "public_requests.regions": PUBLIC,
    "public_requests.poster": PUBLIC,
    "api.public_request_create": PUBLIC,
    "api.public_request_status": PUBLIC,
}

URL_SAMPLES = {"desa_kode": lambda w: w.desa1.kode}
