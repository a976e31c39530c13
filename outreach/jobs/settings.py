"""Default settings of the scheduler, the jobs and e-mail (override in instance/config.py or FLASK_* env)."""

DEFAULTS = {
    # Crontab expressions in SCHEDULER_TIMEZONE; FLASK_JOB_SCHEDULES='{"snapshot": "55 23 * * *"}' overrides one.
    "JOB_SCHEDULES": {
        "reminders": "0 15 * * *",     # D-1: tomorrow's sessions, in the afternoon
        "overdue": "15 * * * *",       # hourly
        "snapshot": "50 23 * * *",     # nightly, for that date
        "digest": "0 7 * * mon",       # Monday morning (use day names: APScheduler 3 counts 0 = Monday)
        "housekeeping": "30 3 * * *",
        "admin_digest": "0 7 * * *",   # daily: jobs that failed in the last day, to the national admins
        "request_reminders": "0 8 * * *",  # daily: visit requests waiting longer than REQUEST_REMINDER_DAYS
        "confirmation_reminders": "0 8 * * *",  # daily: site contacts who have not answered
        # Every 5 minutes: the per-kecamatan sums of the kecamatan written to since (each run keeps a job_run
        # row, so not every minute); figures are right without it, only big areas read faster with it.
        "kecamatan_totals": "*/5 * * * *",
        "dashboard_panels": "1-59/5 * * * *",  # the shared panels of big areas, after the kecamatan sums
    },
    "SCHEDULER_TIMEZONE": None,        # None: BABEL_DEFAULT_TIMEZONE (Asia/Jakarta, WIB)
    "SCHEDULER_THREADS": 2,
    "SCHEDULER_LOCK_FILE": None,       # SQLite: None means instance/scheduler.lock
    "SCHEDULER_LOCK_KEY": 1245839367,  # PostgreSQL advisory lock key
    "JOB_MISFIRE_GRACE_SECONDS": 3600,
    "JOB_MAX_ATTEMPTS": 3,
    "JOB_RETRY_MINUTES": 15,
    "JOB_STALE_MINUTES": 120,          # a claim without a heartbeat (from a version before leases) still
                                       # "running" after this long died with its process
    # Leases: a running job renews its heartbeat every JOB_HEARTBEAT_SECONDS; a run whose heartbeat is
    # older than JOB_LEASE_SECONDS lost its process, and the sweep (every JOB_SWEEP_SECONDS) redoes it once,
    # if it was claimed within JOB_REDO_WINDOW_HOURS and has attempts left (else it is marked failed).
    "JOB_HEARTBEAT_SECONDS": 30,
    "JOB_LEASE_SECONDS": 120,
    "JOB_SWEEP_SECONDS": 60,
    "JOB_REDO_WINDOW_HOURS": 24,
    # Database lost (restart, network): the scheduler keeps running, retries a job's slot after a delay that
    # doubles from JOB_DB_RETRY_SECONDS up to JOB_DB_RETRY_MAX_SECONDS, and checks its lock every
    # SCHEDULER_LOCK_CHECK_SECONDS (taking it again once the database is back).
    "JOB_DB_RETRY_SECONDS": 5,
    "JOB_DB_RETRY_MAX_SECONDS": 300,
    "SCHEDULER_LOCK_CHECK_SECONDS": 60,
    # Tests only (honoured when TESTING is on): the job of this name sleeps JOB_TEST_HANG_SECONDS before it
    # works, so a test can kill the scheduler in the middle of a run.
    "JOB_TEST_HANG": "",
    "JOB_TEST_HANG_SECONDS": 600,
    "OVERDUE_LOOKBACK_DAYS": 14,
    # A site contact asked to confirm a session (diminta/menunggu) without an answer after this many days:
    # the kecamatan's coordinators are reminded once (outreach/jobs/confirmation_reminders.py).
    "CONFIRMATION_REMINDER_DAYS": 2,
    "HOUSEKEEPING_TOKEN_DAYS": 30,
    "NOTIFICATION_READ_KEEP_DAYS": 30,
    "DIGEST_SLOWEST_COUNT": 3,
    # E-mail (smtplib). Empty MAIL_SERVER: in-app notifications only.
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_DEFAULT_SENDER": "Jemput Bola <jemputbola@localhost>",
    "MAIL_TIMEOUT": 10,
    # Links in e-mails: the address the app is reached at, e.g. "https://jemputbola.example.go.id".
    "PUBLIC_BASE_URL": "",
}
