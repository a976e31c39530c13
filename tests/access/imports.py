"""Access matrix fragment: admin web imports."""
EXPECTED = {
    "admin.import_index": {"admin"},
    "admin.import_preview": {"admin"},
    "admin.import_commit": {"admin"},
    "admin.import_cancel": {"admin"},
    "admin.import_rejects": {"admin"},
}

URL_SAMPLES = {"token": "0" * 32}
