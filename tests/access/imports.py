"""Access matrix fragment: admin web imports."""
EXPECTED = {
    "admin.import_index": {"admin"},
    "admin.import_preview": {"admin"},
    "admin.import_commit": {"admin"},
    "admin.import_cancel": {"admin"},
    "admin.import_rejects": {"admin"},
}

URL_SAMPLES = {"token": "0" * 32}

# Background imports (a task id nobody has: the allowed role gets 404, the others 403).
EXPECTED.update({
    "admin.import_task": {"admin"},
    "admin.import_task_status": {"admin"},
    "admin.import_task_apply": {"admin"},
    "admin.import_task_cancel": {"admin"},
})
URL_SAMPLES["task_id"] = 999999
