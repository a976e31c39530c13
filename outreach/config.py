"""Default settings. Overridden by instance/config.py, then FLASK_* environment variables."""
from datetime import timedelta


class DefaultConfig:
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
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    API_TOKEN_DAYS = 365

    # Uploads (CSV / GeoJSON imports)
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024

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
    MAP_TILE_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'

    PER_PAGE = 50
