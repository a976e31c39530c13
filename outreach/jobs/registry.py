"""The jobs: name -> function and schedule (a crontab in the scheduler's time zone)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, Optional

from apscheduler.triggers.cron import CronTrigger
from outreach.i18n import lazy_gettext as _l

from outreach.jobs import (admin_digest, confirmation_reminders, digest, housekeeping, kecamatan_totals, overdue,
                           panels, reminders, request_reminders, snapshot)
from outreach.jobs.context import JobContext, timezone_of


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[[JobContext], dict]
    label: object  # lazy Indonesian text

    def schedule(self, config: Mapping) -> str:
        from outreach.jobs.settings import DEFAULTS
        schedules = {**DEFAULTS["JOB_SCHEDULES"], **(config.get("JOB_SCHEDULES") or {})}
        return schedules[self.name]

    def trigger(self, config: Mapping) -> CronTrigger:
        return CronTrigger.from_crontab(self.schedule(config), timezone=timezone_of(config))


JOBS: dict[str, JobSpec] = {spec.name: spec for spec in (
    JobSpec("reminders", reminders.run, _l("Pengingat H-1 untuk tim: sesi besok")),
    JobSpec("overdue", overdue.run, _l("Log terlambat: sesi yang sudah lewat tanpa log")),
    JobSpec("snapshot", snapshot.run, _l("Snapshot cakupan harian semua wilayah")),
    JobSpec("digest", digest.run, _l("Ringkasan mingguan untuk manajer")),
    JobSpec("housekeeping", housekeeping.run,
            _l("Bersih-bersih: token API kedaluwarsa, notifikasi lama, data pribadi permohonan yang ditutup")),
    JobSpec("request_reminders", request_reminders.run,
            _l("Pengingat harian untuk koordinator: permohonan kunjungan yang lama menunggu")),
    JobSpec("admin_digest", admin_digest.run, _l("Ringkasan harian untuk admin: tugas yang gagal atau terputus")),
    JobSpec("confirmation_reminders", confirmation_reminders.run,
            _l("Pengingat konfirmasi lokasi: narahubung belum menjawab")),
    JobSpec("kecamatan_totals", kecamatan_totals.run,
            _l("Rekap cakupan per kecamatan: hitung ulang kecamatan yang datanya berubah")),
    JobSpec("dashboard_panels", panels.run,
            _l("Panel dasbor provinsi dan nasional (prakiraan, tim) dihitung di muka")),
)}


class UnknownJob(KeyError):
    pass


def get_job(name: str) -> JobSpec:
    try:
        return JOBS[name]
    except KeyError:
        raise UnknownJob(name) from None


def slot_for(trigger: CronTrigger, now: datetime, lookback: timedelta = timedelta(days=8)) -> datetime:
    """The trigger's latest fire time at or before `now` (UTC): the slot a late or repeated firing belongs to."""
    last: Optional[datetime] = None
    fire = trigger.get_next_fire_time(None, now - lookback)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    if last is None:  # never fired in the look-back window: the moment itself is the slot
        last = now.replace(second=0, microsecond=0)
    return last.astimezone(timezone.utc)


def next_run(spec: JobSpec, config: Mapping, now: datetime) -> Optional[datetime]:
    return spec.trigger(config).get_next_fire_time(None, now)
