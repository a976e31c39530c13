"""A running job's lease: who owns the run and a heartbeat renewed on a thread of its own.

The heartbeat thread writes on its own connection (never the job's session, which is in the middle of the
job's transaction), every JOB_HEARTBEAT_SECONDS. A database that does not answer for a while is logged and
tried again on the next beat; a run taken over by someone else (the UPDATE matches no row) stops it.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy.exc import SQLAlchemyError

from outreach.models.base import utcnow

log = logging.getLogger("outreach.jobs")


def new_owner() -> str:
    """A claim's owner: this host and process, and a random part so two claims are never confused."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_pid(owner: str) -> str:
    """The pid part of an owner (for log lines and tests)."""
    parts = (owner or "").split(":")
    return parts[-2] if len(parts) >= 3 else ""


@dataclass(frozen=True)
class Cutoffs:
    """When a claimed/running run counts as dead: a heartbeat before `lease`, or (a run claimed by a version
    before leases, without a heartbeat) claimed before `stale`."""
    lease: datetime
    stale: datetime


def cutoffs(config: Mapping, now: datetime | None = None) -> Cutoffs:
    now = now or utcnow()
    return Cutoffs(lease=now - timedelta(seconds=float(config["JOB_LEASE_SECONDS"])),
                   stale=now - timedelta(minutes=float(config["JOB_STALE_MINUTES"])))


class Heartbeat:
    """Renews a claim's heartbeat every `every` seconds until stopped (use as a context manager)."""

    def __init__(self, engine, claim, every: float):
        self.engine, self.claim, self.every = engine, claim, max(float(every), 0.05)
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{claim.job}-{claim.run_id}",
                                        daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.every + 15)

    def _beat(self) -> None:
        from outreach.jobs.claims import renew

        failing = False
        while not self._stop.wait(self.every):
            try:
                with self.engine.begin() as conn:
                    held = renew(conn, self.claim)
            except SQLAlchemyError as exc:
                if not failing:  # one line per outage, not one per beat
                    log.warning("heartbeat of job %s (run %s) not written: %s", self.claim.job, self.claim.run_id,
                                str(exc).splitlines()[0])
                failing = True
                continue
            if failing:
                log.info("heartbeat of job %s (run %s) written again", self.claim.job, self.claim.run_id)
                failing = False
            if not held:
                self.lost = True
                log.warning("job %s (run %s) was taken over by another process; its result will not count",
                            self.claim.job, self.claim.run_id)
                return
