"""Access policy of the coordinator's queue of visit requests (pages and API)."""
STAFF = {"admin", "manager", "coordinator"}
PLANNERS = {"admin", "coordinator"}

EXPECTED = {
    "request_queue.index": STAFF,
    "request_queue.detail": STAFF,
    "request_queue.change_status": PLANNERS,
    "api.requests_list": STAFF,
    "api.request_update": PLANNERS,
}

# No request exists in the world: allowed roles get 404, the others 403.
URL_SAMPLES = {"request_id": 1}
