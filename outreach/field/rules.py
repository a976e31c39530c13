"""Rules of a turnout log: plain Python, no Flask, no database.

    parse_log(data, facts, tz, base=None)       raw JSON/form values -> (LogValues | None, {field: message})
    check_log(values, facts, settings, now)     totals add up, times sane, kits present, capacity -> errors
    validate_log(data, facts, settings, now, base=None) -> LogValues      (raises LogInvalid(errors))
    check_can_log(facts, tz, now)               refusals that concern the session (cancelled, not started)
    hours_worked(start_local, end_local)        hours a multi-day session really worked
    kit_capacity(kits, hours, rate, tolerance)  the most the kits could record (above it: confirm)
    request_fingerprint(session_id, body)       SHA-256 of the canonical body (idempotent replays)
    correction_deadline(created_at, hours)      until when the team may correct its log
    sent_late(first_stored_at, last_day, end, tz, hours)   a log sent over LATE_LOG_HOURS after its session
    parse_correction_reason(value)              the optional reason of a correction -> (text, error)

Error keys are the JSON names, nested with a dot: {"recorded.umum": "...", "recorded_by_sex": "..."}.
Messages are Indonesian msgids; callers pass their gettext as `_` (default: plain % formatting).
The keys of the count families come from outreach.vocab; this module imports no model.

Over 400 lines on purpose: parsing and checking one log are one contract (the same error keys, the same
LogValues) that the API, the form and the offline client's messages follow; split, each half would need
the other to be read.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Callable, Mapping, Optional

from outreach.i18n import plain_gettext as _plain
from outreach.vocab import (AWAY_REASONS, LEGACY_AWAY_REASONS, NOT_RECORDED_REASONS, RECORDED_GROUPS, SEXES,
                            away_column, not_recorded_column, recorded_column, sex_column)

# One count above this is a typing slip, not a session (and keeps every figure far from integer overflow).
MAX_COUNT = 10_000
# A phone's clock may run a little ahead: an end time up to this far in the future is accepted.
CLOCK_SKEW = timedelta(minutes=15)
# A log's notes and the client-made idempotency key (the turnout_log columns are this wide).
LOG_NOTES_MAX_CHARS = 2000
IDEMPOTENCY_KEY_MAX_CHARS = 100
CANCELLED = "dibatalkan"
# Families of counts: JSON key -> (keys inside, model column of a key).
FAMILIES: dict[str, tuple[tuple[str, ...], Callable[[str], str]]] = {
    "recorded": (RECORDED_GROUPS, recorded_column),
    "recorded_by_sex": (SEXES, sex_column),
    "not_recorded": (NOT_RECORDED_REASONS, not_recorded_column),
    "away": (AWAY_REASONS, away_column),
}
INPUT_KEYS = frozenset(FAMILIES) | {"recorded_total", "started_at", "ended_at", "kit_ids", "notes",
                                    "confirm_over_capacity", "version"}
# Read-only fields of the log's JSON: a client may send a log back as it read it (they are ignored).
READ_ONLY_KEYS = frozenset({"id", "session_id", "not_recorded_total", "away_total", "over_capacity_confirmed",
                            "created_by", "created_by_name", "created_at", "updated_by", "updated_by_name",
                            "updated_at", "correction_deadline", "session_date", "desa_kode", "kecamatan_kode",
                            "kabupaten_kode", "provinsi_kode", "capacity", "history"})
REQUIRED_ON_CREATE = ("recorded", "recorded_by_sex", "started_at", "ended_at")
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[A-Za-z0-9._:\-]{1,%d}" % IDEMPOTENCY_KEY_MAX_CHARS)
# Why a log was corrected (optional; kept on the correction's audit entry).
CORRECTION_REASON_MAX_CHARS = 500


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


class LogInvalid(Exception):
    """Bad log values: {field: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class SessionFacts:
    """What the rules need to know about the session being logged."""
    first_day: date
    last_day: date
    start: time
    end: time
    status: str = "terkonfirmasi"
    booked_kit_ids: tuple = ()


@dataclass(frozen=True)
class Settings:
    records_per_kit_hour: float = 12
    tolerance: float = 1.25
    tz: tzinfo = timezone(timedelta(hours=7))
    tz_label: str = "WIB"


@dataclass(frozen=True)
class LogValues:
    """A log as plain values; times timezone-aware (UTC)."""
    recorded: dict
    recorded_by_sex: dict
    not_recorded: dict
    away: dict
    started_at: datetime
    ended_at: datetime
    kit_ids: tuple = ()
    notes: str = ""
    confirm_over_capacity: bool = False
    recorded_total_sent: Optional[int] = field(default=None, compare=False)

    @property
    def recorded_total(self) -> int:
        return sum(self.recorded.values())

    def columns(self) -> dict:
        """{TurnoutLog attribute: value} (the confirmation is stored as over_capacity_confirmed)."""
        out = {}
        for key, (names, column) in FAMILIES.items():
            values = getattr(self, key)
            for name in names:
                out[column(name)] = values[name]
        out["recorded_total"] = self.recorded_total
        out["started_at"] = self.started_at
        out["ended_at"] = self.ended_at
        out["kit_ids"] = list(self.kit_ids)
        out["notes"] = self.notes
        return out

    @classmethod
    def from_columns(cls, row: Any) -> "LogValues":
        """The values of a stored TurnoutLog (or any object/mapping with its attributes)."""
        get = row.get if isinstance(row, Mapping) else (lambda k, d=None: getattr(row, k, d))
        families = {key: {name: int(get(column(name)) or 0) for name in names}
                    for key, (names, column) in FAMILIES.items()}
        return cls(started_at=as_utc(get("started_at")), ended_at=as_utc(get("ended_at")),
                   kit_ids=tuple(get("kit_ids") or ()), notes=get("notes") or "",
                   confirm_over_capacity=bool(get("over_capacity_confirmed")), **families)


def as_utc(value: Optional[datetime]) -> Optional[datetime]:
    """A stored timestamp as aware UTC (SQLite gives naive datetimes back: they are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


# ---------------------------------------------------------------- parsing

def parse_count(value, _: Callable[..., str] = _plain) -> tuple[Optional[int], Optional[str]]:
    """A count from JSON or a form: a whole number 0..MAX_COUNT (null or "" is 0)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0, None
    if isinstance(value, bool):
        return None, _("Harus berupa bilangan bulat, bukan true/false.")
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", value):
        n = int(value)
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e9:
        n = int(value)
    else:
        return None, _("Harus berupa bilangan bulat (diterima: \"%(value)s\").", value=str(value)[:40])
    if n < 0:
        return None, _("Tidak boleh negatif (diterima: %(value)s).", value=n)
    if n > MAX_COUNT:
        return None, _("Terlalu besar: paling banyak %(max)s per isian.", max=_number(MAX_COUNT))
    return n, None


def _current_away_names(raw: Mapping) -> dict:
    """Away counts under today's reasons: an older name (a log queued on a phone before the reasons were
    split) is taken as its successor, added to what the same log gives under the new name."""
    out: dict = {}
    for name, value in raw.items():
        new = LEGACY_AWAY_REASONS.get(name, name) if isinstance(name, str) else name
        both_counts = all(isinstance(v, int) and not isinstance(v, bool) for v in (out.get(new), value))
        out[new] = out[new] + value if new in out and both_counts else value
    return out


def _parse_family(key: str, raw, base: Optional[dict], errors: dict, _) -> Optional[dict]:
    names, _column = FAMILIES[key]
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        errors[key] = _("Harus berupa objek JSON dengan isian: %(names)s.", names=", ".join(names))
        return None
    out = dict(base) if base is not None else {name: 0 for name in names}
    ok = True
    if key == "away":
        raw = _current_away_names(raw)
    for name, value in raw.items():
        if name not in names:
            errors[f"{key}.{str(name)[:40]}"] = _("Isian tidak dikenal; pilihan: %(names)s.", names=", ".join(names))
            ok = False
            continue
        n, error = parse_count(value, _)
        if error:
            errors[f"{key}.{name}"] = error
            ok = False
        else:
            out[name] = n
    return out if ok else None


def parse_correction_reason(value, _: Callable[..., str] = _plain) -> tuple[Optional[str], Optional[str]]:
    """The reason given for a correction: optional text up to CORRECTION_REASON_MAX_CHARS, without NUL
    characters (null or "" is no reason). Returns (reason, None) or (None, message)."""
    if value is None:
        return "", None
    if not isinstance(value, str):
        return None, _("Alasan koreksi harus berupa teks.")
    if "\x00" in value:
        return None, _("Alasan koreksi memuat karakter NUL (kode 0) yang tidak diizinkan; ketik ulang alasannya.")
    text = value.strip()
    if len(text) > CORRECTION_REASON_MAX_CHARS:
        return None, _("Alasan koreksi terlalu panjang: %(length)s karakter, paling banyak %(limit)s.",
                       length=_number(len(text)), limit=_number(CORRECTION_REASON_MAX_CHARS))
    return text, None


def parse_moment(value, first_day: date, tz: tzinfo, label: str,
                 _: Callable[..., str] = _plain) -> tuple[Optional[datetime], Optional[str]]:
    """A time of the log as aware UTC: an ISO 8601 date-time (without offset: local time `tz`),
    or "HH:MM" on the session's first day."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            if re.fullmatch(r"\d{1,2}[:.]\d{2}", text):
                hh, mm = re.split(r"[:.]", text)
                moment = datetime.combine(first_day, time(int(hh), int(mm)))
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            moment = None
        if moment is None or not (1900 < moment.year < 2200):
            return None, _("%(label)s \"%(value)s\" bukan waktu yang sah; tulis JJ:MM atau tanggal-waktu "
                           "ISO 8601, mis. 2026-05-04T08:00:00+07:00.", label=label, value=text[:40])
    elif value is None or value == "":
        return None, _("%(label)s wajib diisi.", label=label)
    else:
        return None, _("%(label)s harus berupa teks waktu (JJ:MM atau ISO 8601).", label=label)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(timezone.utc), None


def parse_kit_ids(value, _: Callable[..., str] = _plain) -> tuple[Optional[tuple], Optional[str]]:
    if value is None:
        return (), None
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        return None, _("Daftar alat harus berupa daftar nomor alat, mis. [1, 2].")
    ids = []
    for v in value:
        if isinstance(v, bool):
            return None, _("Daftar alat harus berupa daftar nomor alat, mis. [1, 2].")
        if isinstance(v, str) and v.strip().isdigit():
            v = int(v.strip())
        if not isinstance(v, int) or not (0 < v < 2**31):
            return None, _("Nomor alat tidak valid: \"%(value)s\".", value=str(v)[:40])
        ids.append(v)
    if len(ids) > 50:
        return None, _("Terlalu banyak alat dalam satu sesi.")
    return tuple(sorted(set(ids))), None


def parse_log(data: Mapping[str, Any], facts: SessionFacts, tz: tzinfo, *, base: Optional[LogValues] = None,
              _: Callable[..., str] = _plain) -> tuple[Optional[LogValues], dict[str, str]]:
    """Parse raw values into LogValues. `base`: the stored log (a correction changes only what it sends;
    inside a count family only the keys it sends). Without `base`, recorded, recorded_by_sex, started_at
    and ended_at are required and missing counts are 0; kit_ids defaults to the session's booked kits."""
    errors: dict[str, str] = {}
    if not isinstance(data, Mapping):
        return None, {"_": _("Isi permintaan harus berupa objek JSON.")}
    for key in data:
        if not isinstance(key, str) or (key not in INPUT_KEYS and key not in READ_ONLY_KEYS):
            errors[str(key)[:60]] = _("Isian tidak dikenal.")
    if base is None:
        for key in REQUIRED_ON_CREATE:
            if key not in data:
                errors[key] = _("Wajib diisi.")
    families: dict[str, Optional[dict]] = {}
    for key in FAMILIES:
        base_values = getattr(base, key) if base is not None else None
        if key in data:
            families[key] = _parse_family(key, data[key], base_values, errors, _)
        else:
            families[key] = dict(base_values) if base_values is not None else {n: 0 for n in FAMILIES[key][0]}
    total_sent = None
    if data.get("recorded_total") is not None:
        total_sent, error = parse_count(data["recorded_total"], _)
        if error:
            errors["recorded_total"] = error
    moments = {}
    for key, label in (("started_at", _("Jam mulai")), ("ended_at", _("Jam selesai"))):
        if key in data:
            moments[key], error = parse_moment(data[key], facts.first_day, tz, label, _)
            if error:
                errors[key] = error
        else:
            moments[key] = getattr(base, key) if base is not None else None
    if "kit_ids" in data:
        kit_ids, error = parse_kit_ids(data["kit_ids"], _)
        if error:
            errors["kit_ids"] = error
    else:
        kit_ids = base.kit_ids if base is not None else tuple(sorted(set(facts.booked_kit_ids)))
    notes = base.notes if base is not None else ""
    if "notes" in data:
        raw = data["notes"]
        if raw is None:
            notes = ""
        elif not isinstance(raw, str):
            errors["notes"] = _("Catatan harus berupa teks.")
        elif "\x00" in raw:  # PostgreSQL text cannot hold it
            errors["notes"] = _("Catatan memuat karakter NUL (kode 0) yang tidak diizinkan; ketik ulang catatannya.")
        elif len(raw) > LOG_NOTES_MAX_CHARS:
            errors["notes"] = _("Catatan terlalu panjang: %(length)s karakter, paling banyak %(limit)s.",
                                length=_number(len(raw)), limit=_number(LOG_NOTES_MAX_CHARS))
        else:
            notes = raw.strip()
    # A correction keeps the team's earlier confirmation unless it raises the total above the confirmed one.
    confirm = bool(base is not None and base.confirm_over_capacity and families["recorded"] is not None
                   and sum(families["recorded"].values()) <= base.recorded_total)
    if "confirm_over_capacity" in data:
        raw = data["confirm_over_capacity"]
        if raw in (None, "", False, "0", "false", "off"):
            confirm = False
        elif raw in (True, "1", "true", "on", "ya", 1):
            confirm = True
        else:
            errors["confirm_over_capacity"] = _("Harus berupa true atau false.")
    if errors:
        return None, errors
    return LogValues(started_at=moments["started_at"], ended_at=moments["ended_at"], kit_ids=kit_ids,
                     notes=notes, confirm_over_capacity=confirm, recorded_total_sent=total_sent,
                     **families), {}


# ---------------------------------------------------------------- checking

def hours_worked(start_local: datetime, end_local: datetime) -> float:
    """Hours the kits worked. One day: end − start. Several days (a multi-day session): the daily
    hours (time of day at the end − at the start) times the days spanned, so nights do not count."""
    elapsed = (end_local - start_local).total_seconds() / 3600
    days = (end_local.date() - start_local.date()).days + 1
    if days <= 1:
        return max(elapsed, 0.0)
    daily = (datetime.combine(date.min, end_local.time()) -
             datetime.combine(date.min, start_local.time())).total_seconds() / 3600
    return days * daily if daily > 0 else max(elapsed, 0.0)


def kit_capacity(kits: int, hours: float, records_per_kit_hour: float, tolerance: float = 1.0) -> int:
    """The most `kits` could record in `hours` (with the tolerance margin), rounded down."""
    return int(math.floor(max(kits, 0) * max(hours, 0.0) * records_per_kit_hour * tolerance + 1e-9))


def _fmt_hours(h: float) -> str:
    text = f"{h:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def check_log(values: LogValues, facts: SessionFacts, settings: Settings, now: datetime,
              _: Callable[..., str] = _plain) -> dict[str, str]:
    """{field: message}: what is wrong with a parsed log (empty when it may be stored)."""
    errors: dict[str, str] = {}
    total = values.recorded_total
    by_sex = sum(values.recorded_by_sex.values())
    if by_sex != total:
        errors["recorded_by_sex"] = _("Jumlah menurut jenis kelamin (L %(l)s + P %(p)s = %(sex)s) harus sama dengan "
                                      "jumlah terekam menurut kelompok (%(total)s).",
                                      l=values.recorded_by_sex["L"], p=values.recorded_by_sex["P"],
                                      sex=by_sex, total=total)
    if values.recorded_total_sent is not None and values.recorded_total_sent != total:
        errors["recorded_total"] = _("Total terekam %(sent)s tidak sama dengan jumlah per kelompok (%(total)s).",
                                     sent=values.recorded_total_sent, total=total)
    start_local = values.started_at.astimezone(settings.tz)
    end_local = values.ended_at.astimezone(settings.tz)
    if not (facts.first_day <= start_local.date() <= facts.last_day):
        days = facts.first_day.isoformat() if facts.first_day == facts.last_day else \
            f"{facts.first_day.isoformat()} – {facts.last_day.isoformat()}"
        errors["started_at"] = _("Jam mulai harus pada hari sesi (%(days)s).", days=days)
    if values.ended_at <= values.started_at:
        errors["ended_at"] = _("Jam selesai harus setelah jam mulai.")
    elif end_local.date() > facts.last_day + timedelta(days=1):
        errors["ended_at"] = _("Jam selesai terlalu jauh sesudah hari terakhir sesi (%(day)s).",
                               day=facts.last_day.isoformat())
    elif values.ended_at > now + CLOCK_SKEW:
        errors["ended_at"] = _("Jam selesai tidak boleh di masa depan; kirim laporan setelah sesi berakhir.")
    if total > 0 and not values.kit_ids:
        errors["kit_ids"] = _("Pilih alat perekam yang dipakai.")
    if not errors and total > 0 and not values.confirm_over_capacity:
        hours = hours_worked(start_local, end_local)
        limit = kit_capacity(len(values.kit_ids), hours, settings.records_per_kit_hour, settings.tolerance)
        if total > limit:
            errors["confirm_over_capacity"] = _(
                "Jumlah terekam %(total)s melebihi yang dapat direkam %(kits)s alat dalam %(hours)s jam "
                "(± %(limit)s orang). Periksa kembali angkanya; jika memang benar, centang konfirmasi lalu "
                "kirim lagi.", total=_number(total), kits=len(values.kit_ids), hours=_fmt_hours(hours),
                limit=_number(limit))
    return errors


def validate_log(data: Mapping[str, Any], facts: SessionFacts, settings: Settings, now: datetime, *,
                 base: Optional[LogValues] = None, _: Callable[..., str] = _plain) -> LogValues:
    """parse_log then check_log; raises LogInvalid with every message at once."""
    values, errors = parse_log(data, facts, settings.tz, base=base, _=_)
    if values is None:
        raise LogInvalid(errors)
    errors = check_log(values, facts, settings, now, _=_)
    if errors:
        raise LogInvalid(errors)
    return values


def session_start(facts: SessionFacts, tz: tzinfo) -> datetime:
    """When the session begins (aware, UTC)."""
    return datetime.combine(facts.first_day, facts.start, tzinfo=tz).astimezone(timezone.utc)


def check_can_log(facts: SessionFacts, settings: Settings, now: datetime,
                  _: Callable[..., str] = _plain) -> dict[str, str]:
    """{"session": message} when the session cannot take a log now: cancelled, or not started yet."""
    if facts.status == CANCELLED:
        return {"session": _("Sesi ini dibatalkan; laporan hasil tidak dapat dikirim.")}
    begins = session_start(facts, settings.tz)
    if now < begins:
        local = begins.astimezone(settings.tz)
        return {"session": _("Sesi belum dimulai (mulai %(day)s pukul %(hour)s %(tz)s); laporan hasil dapat "
                             "dikirim setelah sesi dimulai.", day=local.date().isoformat(),
                             hour=local.strftime("%H.%M"), tz=settings.tz_label)}
    return {}


def late_after(last_day: date, end: time, tz: tzinfo, hours: float) -> datetime:
    """When a session's log becomes late (aware, UTC): `hours` (LATE_LOG_HOURS) after the session's last
    day ended in the office zone `tz`."""
    return (datetime.combine(last_day, end, tzinfo=tz) + timedelta(hours=hours)).astimezone(timezone.utc)


def sent_late(first_stored_at: datetime, last_day: date, end: time, tz: tzinfo, hours: float) -> bool:
    """True when a log first stored at `first_stored_at` came more than `hours` after its session ended.
    (outreach.coverage.queries counts the same in SQL for the team figures.)"""
    return as_utc(first_stored_at) > late_after(last_day, end, tz, hours)


def correction_deadline(created_at: datetime, hours: float) -> datetime:
    """Until when the team may correct its own log (after that: coordinator or admin)."""
    return as_utc(created_at) + timedelta(hours=hours)


def valid_idempotency_key(key: Optional[str]) -> bool:
    """1–100 characters from A–Z a–z 0–9 . _ : - (send a UUID: keys are unique across all logs)."""
    return bool(key) and IDEMPOTENCY_KEY_PATTERN.fullmatch(key) is not None


def request_fingerprint(session_id: int, body: Any) -> str:
    """SHA-256 of the canonical JSON of (session, body): keys sorted, no spaces, UTF-8."""
    canonical = json.dumps({"session_id": session_id, "body": body}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def changed_columns(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list]:
    """{column: [old, new]} for the columns whose value differs; JSON-friendly (times as ISO)."""
    def plain(v):
        if isinstance(v, datetime):
            return as_utc(v).isoformat()
        if isinstance(v, tuple):
            return list(v)
        return v
    out = {}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(before, datetime) or isinstance(value, datetime):
            same = before is not None and value is not None and as_utc(before) == as_utc(value)
        else:
            same = plain(before) == plain(value)
        if not same:
            out[key] = [plain(before), plain(value)]
    return out
