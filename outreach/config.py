"""Default settings. Overridden by instance/config.py, then FLASK_* environment variables."""
from collections.abc import Mapping
from datetime import timedelta

PRODUCTION_NAMES = ("production", "prod")


def production_requested(environ: Mapping[str, str]) -> bool:
    """True when the environment says this is a production server: JB_ENV=production (or the older
    FLASK_ENV=production). FLASK_PRODUCTION=true sets the same switch through the FLASK_* settings."""
    return any(environ.get(name, "").strip().lower() in PRODUCTION_NAMES for name in ("JB_ENV", "FLASK_ENV"))


class DefaultConfig:
    # Development by default, so `make run` stays one command. Production (JB_ENV=production) refuses
    # seed-demo and the demo password, and refuses to start with a weak SECRET_KEY.
    PRODUCTION = False
    # Where the generated secret key is kept when SECRET_KEY is not set (default: instance/secret_key).
    SECRET_KEY_FILE = None
    # Behind a reverse proxy: how many proxies' X-Forwarded-For / -Proto / -Host / -Port / -Prefix to
    # trust (werkzeug ProxyFix). 0 = ignore the header (the default: straight to gunicorn, they could be forged).
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0
    PROXY_FIX_X_HOST = 0
    PROXY_FIX_X_PORT = 0
    PROXY_FIX_X_PREFIX = 0

    # pool_pre_ping: a connection the database dropped (a restart) is replaced before use, not failed on.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Security
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # CSRF is checked by outreach.security.guard_request, which skips bearer-token API calls.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None
    # Rate limits (outreach/ratelimits.py, docs/production.md). None: on, except under TESTING.
    RATE_LIMITS = None
    RATELIMIT_STORAGE_URI = "memory://"  # production, shared by all workers: "redis://127.0.0.1:6379/0"
    RATELIMIT_KEY_PREFIX = "jb"  # counters' names in a shared Redis (one prefix per installation)
    PROXY_FIX_X_FOR = 0  # proxies in front of the app (nginx: 1), so limits count the browser's address
    RATELIMIT_LOGIN = "10 per minute;100 per hour"  # POST /login per client address
    RATELIMIT_API = "300 per minute"  # the whole API per user (session or token), else per address
    RATELIMIT_API_PER_ADDRESS = "600 per minute"
    RATELIMIT_MAP = "120 per minute"  # /api/v1/map/* per user: the map page asks three per pan
    # Public visit requests (/permohonan and POST /api/v1/public/requests, one budget) per client address:
    # accepted requests, every attempt, and status look-ups (code + last 4 phone digits).
    REQUEST_FORM_LIMIT = "5 per hour;20 per day"
    REQUEST_FORM_ATTEMPT_LIMIT = "30 per hour"
    REQUEST_STATUS_LIMIT = "20 per minute;200 per day"
    # Open (baru, diverifikasi, dijadwalkan) requests one phone number may have at a time.
    REQUEST_OPEN_PER_PHONE = 3
    # Login attempts per (typed user name, client address) and per user name from browsers the account
    # never signed in from (outreach/auth/throttle.py): refusals, never a lock of the account.
    LOGIN_PAIR_LIMIT = "5 per 15 minutes"
    LOGIN_ACCOUNT_LIMIT = "30 per hour"
    LOGIN_DEVICE_DAYS = 60
    API_TOKEN_DAYS = 365
    # Visit requests (outreach/requests): the daily reminder names requests waiting (baru/diverifikasi) longer
    # than this many days; the housekeeping job erases a closed request's personal data this many days after
    # it closed (UU 27/2022), keeping its counts.
    REQUEST_REMINDER_DAYS = 3
    REQUEST_RETENTION_DAYS = 90
    # The planner's home visits (verified home-visit requests): minutes per house, houses per team-day, and
    # the weight of a person visited at home against one recorded at a village hall.
    PLANNER_HOME_VISIT_MINUTES = 30
    PLANNER_HOME_VISITS_PER_DAY = 4
    PLANNER_WEIGHT_HOME_VISIT = 100.0
    # "https" is the HTTPS switch: HSTS on every answer and Secure session/remember-me cookies
    # (outreach/headers.py). Set FLASK_PREFERRED_URL_SCHEME=https in production.
    PREFERRED_URL_SCHEME = "http"
    HSTS_SECONDS = 365 * 24 * 3600
    HSTS_INCLUDE_SUBDOMAINS = False
    # More image sources for the CSP than the host of MAP_TILE_URL (e.g. a second tile server).
    CSP_EXTRA_IMG_SRC: tuple = ()

    # Uploads (CSV / GeoJSON imports)
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    # Larger uploads (or any the admin asks for) are processed in the background (outreach/imports/tasks.py):
    # the page shows their progress. The runner writes progress every IMPORT_TASK_PROGRESS_SECONDS, the
    # scheduler looks for waiting tasks every IMPORT_TASK_POLL_SECONDS, a running task without a heartbeat
    # for IMPORT_TASK_STALE_MINUTES is marked failed, and waiting tasks and kept files go after
    # IMPORT_TASK_KEEP_HOURS. Without a scheduler, the web process runs them on a thread of its own
    # (IMPORT_TASK_THREAD; the development server).
    IMPORT_BACKGROUND_MIN_BYTES = 2 * 1024 * 1024
    IMPORT_TASK_PROGRESS_SECONDS = 1.0
    IMPORT_TASK_POLL_SECONDS = 3
    IMPORT_TASK_STALE_MINUTES = 10
    IMPORT_TASK_KEEP_HOURS = 24
    IMPORT_TASK_THREAD = True

    # i18n
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")

    # Working assumptions (DOMAIN.md): settings, not constants.
    RECORDS_PER_KIT_HOUR = 12
    SESSION_MIN_HOURS = 2
    SESSION_MAX_HOURS = 6
    TRAVEL_BUFFER_MINUTES = 60
    LOG_CORRECTION_HOURS = 48
    # A turnout log above kits × hours worked × RECORDS_PER_KIT_HOUR × this needs an explicit confirmation.
    TURNOUT_CAPACITY_TOLERANCE = 1.25
    # Largest JSON body the field API accepts (a turnout log is well under 4 KB); above it: 413.
    API_MAX_BODY_BYTES = 64 * 1024
    OVERDUE_LOG_HOURS = 24
    # A turnout log first stored more than this many hours after its session ended counts as late in the
    # team figures (logs_late, on_time_rate).
    LATE_LOG_HOURS = 24
    PEMILIH_PEMULA_CUTOFF = "2029-02-14"
    # Coverage forecast: pace of the last N weeks of turnout logs; areas still short on this date are flagged.
    FORECAST_WEEKS = 8
    COVERAGE_DEADLINE = "2029-02-14"
    # Coverage figures are remembered per process until a log, known-away or region row changes.
    # None: on for SQLite, off for PostgreSQL (there the change fingerprint, row counts of the large tables,
    # costs more than the figures it spares: measured with bench/coverage_bench.py), and off under TESTING.
    COVERAGE_CACHE = None
    # Values shared by every worker and restart in the database (outreach.cache.SharedCache): the forecast and
    # team panels of a province's or the country's dashboard, at most PANEL_MAX_AGE seconds old (the job
    # dashboard_panels renews them every 5 minutes), and their SIAK series. None: on for PostgreSQL, off for
    # SQLite and under TESTING.
    SHARED_CACHE = None
    PANEL_MAX_AGE = 600
    # Finished job runs are kept this many days (housekeeping deletes older ones).
    JOB_RUN_KEEP_DAYS = 30
    HOLIDAY_COUNTRY = "ID"
    # Planner: travel, working day and priority weights (extra weight per record, ≥ 0).
    PLANNER_TRAVEL_KMH = 30
    PLANNER_ROAD_FACTOR = 1.4
    PLANNER_DAY_START = "08:00"
    PLANNER_DAY_END = "15:00"
    PLANNER_WEIGHT_PEMILIH_PEMULA = 1.0
    PLANNER_WEIGHT_LAGGING = 0.5
    PLANNER_WEIGHT_PER_30_DAYS = 0.1
    PLANNER_MAX_DAYS_SINCE_VISIT = 180
    PLANNER_MAX_DAYS = 62  # longest date range one proposal may cover

    # Maps
    MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    # Most features one map answer carries: above it, points are clustered on a coarser grid.
    MAP_MAX_POINTS = 2000
    # Past this many polygons in one view, regions are simplified as for a province-wide view.
    MAP_DETAILED_REGIONS = 400
    MAP_TILE_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'

    # Field pages on a weak signal: how long the phone waits for a page before it shows its own copy, for
    # the answer to a log before it counts as not sent (a stored log may answer slowly), and before the
    # first retry of a log that did not go (the pause doubles up to a minute).
    FIELD_PAGE_TIMEOUT_SECONDS = 3
    FIELD_SEND_TIMEOUT_SECONDS = 60
    FIELD_RETRY_SECONDS = 5

    PER_PAGE = 50
    # The most options one region list (a desa or kecamatan <select>) may hold; a scope with more regions
    # of that level gets the stepwise picker kabupaten → kecamatan → desa (outreach/regions/picker.py).
    AREA_SELECT_MAX = 300
    # The most sites the session form lists at once: a kecamatan (or an admin's area) with more gets the area
    # lists first (kecamatan, desa) and the sites of the chosen one (outreach/planning/session_lists.py).
    SESSION_SITE_SELECT_MAX = 300

    # Public schedule (/jadwal/<kode> and its .ics): how many days ahead it lists, the most sessions one page
    # shows (a province's two months may hold thousands: the page then points to smaller areas), and how long
    # browsers and shared caches may keep it (seconds).
    PUBLIC_SCHEDULE_DAYS = 60
    PUBLIC_SCHEDULE_MAX_ROWS = 300
    PUBLIC_SCHEDULE_MAX_AGE = 300
