"""Engine tuning per database (SQLite: WAL and busy timeout, since the scheduler writes too)."""
import sqlalchemy as sa


def configure_engine_events(engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        # The default page cache is 2 MB: a province's figures read more than that per request, and
        # every page missing from it is a system call. 64 MB per connection keeps the hot indexes in.
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()
