"""Reading planning input: raw values from JSON, a form or a query string become Python values, or a
ValidationFailed with one message in Bahasa Indonesia per bad field. No database.

A session's `data` is a mapping of raw values (strings, or date/time objects):
    site_id, date (YYYY-MM-DD), end_date (optional, multi-day), start, end (HH:MM), team_id,
    kit_ids (list or comma-separated), kind, target_groups (list or comma-separated), notes,
    confirmed_with, override_reason (to override warnings), mop_up_of_id and absentees (mop-up).

Also here: the schedule's own shape (times in order, a sane span, kits when recording, not in the
past), the list filters, the arguments of a status change and the status forms of the session page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext

from outreach import input_limits
from outreach.i18n import gettext_here as _
from outreach.models.planning import MAX_SESSION_DAYS, NOTES_MAX_CHARS, REASON_MAX_CHARS, RecordingSession
from outreach.planning import capacity
from outreach.planning.errors import ValidationFailed
from outreach.templating import short_day
from outreach.vocab import SESSION_KINDS, SESSION_STATUSES, TARGET_GROUPS

CONFIRMED_WITH_MAX_CHARS = 120
ID_MAX = 2**31 - 1  # database INTEGER: a larger id cannot exist
# Status change forms on the session page: action (form prefix) -> target status.
STATUS_ACTIONS = {"konfirmasi": "terkonfirmasi", "tunda": "ditunda", "batal": "dibatalkan"}


# ---------------------------------------------------------------- single values

def parse_date(value, label: str) -> tuple[Optional[date], Optional[str]]:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return (value, None) if input_limits.date_in_range(value) else (None, input_limits.date_range_message(label))
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        return None, _("%(label)s \"%(value)s\" bukan tanggal yang sah; tulis dengan format TTTT-BB-HH, "
                       "mis. 2026-05-04.", label=label, value=str(value)[:40])
    if not input_limits.date_in_range(parsed):
        return None, input_limits.date_range_message(label)
    return parsed, None


def parse_time(value, label: str) -> tuple[Optional[time], Optional[str]]:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0), None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    text = str(value).strip().replace(".", ":")
    if len(text) == 4 and text[1] == ":":  # "8:00"
        text = "0" + text
    try:
        parsed = time.fromisoformat(text)
        return parsed.replace(second=0, microsecond=0), None
    except ValueError:
        return None, _("%(label)s \"%(value)s\" bukan jam yang sah; tulis dengan format JJ:MM, mis. 08:00.",
                       label=label, value=str(value)[:40])


def parse_id(value) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= ID_MAX else None
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if 0 < n <= ID_MAX else None


def _parse_list(value) -> Optional[list]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return None


def _reason_error() -> str:
    return _("Alasan harus berupa teks, paling banyak %(limit)s karakter.",
             limit=f"{REASON_MAX_CHARS:,}".replace(",", "."))


def parse_reason(data: Mapping, key: str = "override_reason") -> str:
    text = data.get(key) if isinstance(data, Mapping) else None
    if text is None:
        return ""
    if not isinstance(text, str) or len(text) > REASON_MAX_CHARS:
        raise ValidationFailed({key: _reason_error()})
    return text.strip()


def parse_local_datetime(raw: str) -> Optional[datetime]:
    """'YYYY-MM-DDTHH:MM' typed in the office's time zone -> an aware UTC datetime; None when unreadable."""
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")))
    return value.astimezone(timezone.utc)


# ---------------------------------------------------------------- a session's data

def parse_session_data(data: Mapping[str, Any], *, partial: bool = False) -> dict:
    """Parse raw values into {input field: python value} (only the fields present when `partial`).

    Raises ValidationFailed with one Indonesian message per bad field.
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed({"_": _("Isi permintaan harus berupa objek JSON.")})
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def present(key):
        return key in data or not partial

    for key, label in (("site_id", _("Lokasi")), ("team_id", _("Tim"))):
        if present(key):
            raw = data.get(key)
            parsed = parse_id(raw)
            if raw in (None, ""):
                errors[key] = _("%(label)s wajib dipilih.", label=label)
            elif parsed is None:
                errors[key] = _("%(label)s tidak valid: \"%(value)s\".", label=label, value=str(raw)[:40])
            else:
                values[key] = parsed
    for key, label, required in (("date", _("Tanggal"), True), ("end_date", _("Tanggal selesai"), False)):
        if present(key):
            parsed, error = parse_date(data.get(key), label)
            if error:
                errors[key] = error
            elif parsed is None and required:
                errors[key] = _("Tanggal wajib diisi.")
            else:
                values[key] = parsed
    for key, label in (("start", _("Jam mulai")), ("end", _("Jam selesai"))):
        if present(key):
            parsed, error = parse_time(data.get(key), label)
            if error:
                errors[key] = error
            elif parsed is None:
                errors[key] = _("%(label)s wajib diisi.", label=label)
            else:
                values[key] = parsed
    if present("kit_ids"):
        raw = _parse_list(data.get("kit_ids"))
        ids = [parse_id(v) for v in raw] if raw is not None else None
        if ids is None or any(i is None for i in ids):
            errors["kit_ids"] = _("Daftar alat tidak valid; kirim nomor alat, mis. [1, 2].")
        else:
            values["kit_ids"] = tuple(sorted(set(ids)))
    if present("kind"):
        kind = data.get("kind") or "perekaman"
        if kind not in SESSION_KINDS:
            errors["kind"] = _("Jenis sesi harus salah satu dari: perekaman, sosialisasi, keduanya.")
        else:
            values["kind"] = kind
    if present("target_groups") and "target_groups" in data:
        groups = _parse_list(data.get("target_groups"))
        if groups is None or any(g not in TARGET_GROUPS for g in groups):
            errors["target_groups"] = _("Sasaran harus dari: pemilih_pemula, umum, lansia_disabilitas.")
        else:
            values["target_groups"] = tuple(g for g in TARGET_GROUPS if g in groups)
    for key, limit, label in (("notes", NOTES_MAX_CHARS, _("Catatan")),
                              ("confirmed_with", CONFIRMED_WITH_MAX_CHARS, _("Nama kontak"))):
        if key in data:
            text = data.get(key) or ""
            if not isinstance(text, str):
                errors[key] = _("%(label)s harus berupa teks.", label=label)
            elif len(text) > limit:
                errors[key] = _("%(label)s terlalu panjang: %(length)s karakter, paling banyak %(limit)s. "
                                "Persingkat lalu simpan lagi.", label=label, length=f"{len(text):,}".replace(",", "."),
                                limit=f"{limit:,}".replace(",", "."))
            else:
                values[key] = text.strip()
    if errors:
        raise ValidationFailed(errors, values)
    return values


def current_values(s: RecordingSession) -> dict:
    """A saved session as parsed `data` (the input field names)."""
    return {"site_id": s.site_id, "date": s.date, "end_date": s.end_date, "start": s.start_time, "end": s.end_time,
            "team_id": s.team_id, "kit_ids": tuple(sorted(link.kit_id for link in s.kit_links)), "kind": s.kind,
            "target_groups": tuple(s.target_groups or ()), "notes": s.notes, "confirmed_with": s.confirmed_with}


def merged_values(existing: Optional[RecordingSession], new: dict) -> dict:
    """The parsed `new` values over those of `existing` (a new session: over the defaults)."""
    values = current_values(existing) if existing is not None else {}
    values.update(new)
    if values.get("end_date") == values.get("date"):
        values["end_date"] = None
    values.setdefault("kind", "perekaman")
    values.setdefault("notes", "")
    values.setdefault("confirmed_with", "")
    values.setdefault("kit_ids", ())
    return values


def parse_new(data: Mapping[str, Any], today: date) -> dict:
    """Parse a new session's input; on bad input report every problem at once: the field errors
    together with those of the schedule checks (times in order, not in the past, kits) on what parsed."""
    try:
        return merged_values(None, parse_session_data(data))
    except ValidationFailed as exc:
        more: dict[str, str] = {}
        check_new_values(exc.values, None, today, more)
        raise ValidationFailed({**more, **exc.errors}, exc.values) from None


def check_schedule_shape(values: Mapping, errors: dict) -> None:
    """Dates and times in order, a sane span, kits present when recording."""
    d, end_d, start, end = values.get("date"), values.get("end_date"), values.get("start"), values.get("end")
    if start and end and end <= start:
        errors["end"] = _("Jam selesai harus setelah jam mulai.")
    if d and end_d:
        if end_d < d:
            errors["end_date"] = _("Tanggal selesai tidak boleh sebelum tanggal mulai.")
        elif (end_d - d).days + 1 > MAX_SESSION_DAYS:
            errors["end_date"] = _("Satu sesi paling lama %(days)s hari; pecah menjadi beberapa sesi.",
                                   days=MAX_SESSION_DAYS)
    if values.get("kind", "perekaman") in capacity.RECORDING_KINDS and not values.get("kit_ids"):
        errors["kit_ids"] = _("Pilih minimal satu alat perekam untuk sesi perekaman.")


def check_new_values(values: dict, existing: Optional[RecordingSession], today: date, errors: dict) -> None:
    """The schedule's shape, and no new or moved session in the past."""
    check_schedule_shape(values, errors)
    moved = existing is None or values["date"] != existing.date
    if moved and values.get("date") and values["date"] < today and "date" not in errors:
        errors["date"] = (_("Tanggal %(date)s sudah lewat; sesi baru tidak dapat dijadwalkan di masa lalu.",
                            date=short_day(values["date"], today)) if existing is None else
                          _("Sesi tidak dapat dipindah ke tanggal yang sudah lewat (%(date)s).",
                            date=short_day(values["date"], today)))


# ---------------------------------------------------------------- status changes

def parse_status_change(reason, override_reason, confirmed_with, new_date) -> tuple[str, str, Optional[date]]:
    """(reason, confirmed_with, new date) of a status change, stripped; ValidationFailed when unreadable."""
    errors: dict[str, str] = {}
    for key, value in (("reason", reason), ("override_reason", override_reason)):
        if value and (not isinstance(value, str) or len(value) > REASON_MAX_CHARS):
            errors[key] = _reason_error()
    if confirmed_with and (not isinstance(confirmed_with, str) or len(confirmed_with) > CONFIRMED_WITH_MAX_CHARS):
        errors["confirmed_with"] = _("Nama kontak paling banyak %(limit)s karakter.", limit=CONFIRMED_WITH_MAX_CHARS)
    parsed_date, err = parse_date(new_date, _("Tanggal baru"))
    if err:
        errors["new_date"] = err
    if errors:
        raise ValidationFailed(errors)
    return (reason or "").strip(), (confirmed_with or "").strip(), parsed_date


def parse_new_slot(new_end_date, new_start, new_end) -> tuple[Optional[date], Optional[time], Optional[time]]:
    """(end date, start, end) of a postponement's new slot, each optional; ValidationFailed when unreadable."""
    errors: dict[str, str] = {}
    end_date, err = parse_date(new_end_date, _("Tanggal selesai baru"))
    if err:
        errors["new_end_date"] = err
    start, err = parse_time(new_start, _("Jam mulai baru"))
    if err:
        errors["new_start"] = err
    end, err = parse_time(new_end, _("Jam selesai baru"))
    if err:
        errors["new_end"] = err
    if errors:
        raise ValidationFailed(errors)
    return end_date, start, end


def status_change_args(action: str, form) -> tuple[dict, dict]:
    """(keyword arguments for operations.change_status, {field: message}) from a status form of the session page."""
    status = STATUS_ACTIONS[action]
    kwargs: dict = {"expected_version": form.version.data or None}
    errors: dict = {}
    if status == "terkonfirmasi":
        kwargs["confirmed_with"] = form.confirmed_with.data or ""
        raw = (form.confirmed_at.data or "").strip()
        if raw:
            when = parse_local_datetime(raw)
            if when is None:
                errors["confirmed_at"] = gettext(
                    "Waktu konfirmasi \"%(value)s\" tidak dapat dibaca; isi tanggal dan jam, mis. 2026-05-04 09:30.",
                    value=raw[:40])
            kwargs["confirmed_at"] = when
        if not kwargs["confirmed_with"].strip():
            errors["confirmed_with"] = gettext("Isi nama kontak di lokasi yang mengonfirmasi jadwal ini.")
    elif status == "dibatalkan":
        kwargs["reason"] = form.reason.data or ""
    else:
        kwargs.update(reason=form.reason.data or "", new_date=form.new_date.data or None,
                      new_end_date=form.new_end_date.data or None, new_start=form.new_start.data or None,
                      new_end=form.new_end.data or None, override_reason=form.override_reason.data or "")
    return kwargs, errors


# ---------------------------------------------------------------- list filters

@dataclass
class SessionFilters:
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    statuses: tuple = ()
    team_id: Optional[int] = None
    provinsi_kode: Optional[str] = None  # the stepwise area pickers' choices (not read from args)
    kabupaten_kode: Optional[str] = None
    kecamatan_kode: Optional[str] = None
    desa_kode: Optional[str] = None
    site_id: Optional[int] = None
    site_type: Optional[str] = None
    kind: Optional[str] = None


def parse_filters(args: Mapping[str, Any]) -> SessionFilters:
    """Filters from query-string style values (from, to, status, team_id, kecamatan, desa, site_id, site_type,
    kind); raises ValidationFailed for values that cannot be understood."""
    errors: dict[str, str] = {}
    f = SessionFilters()
    f.date_from, err = parse_date(args.get("from"), _("Tanggal awal"))
    if err:
        errors["from"] = err
    f.date_to, err = parse_date(args.get("to"), _("Tanggal akhir"))
    if err:
        errors["to"] = err
    if f.date_from and f.date_to and f.date_to < f.date_from:
        errors["to"] = _("Tanggal akhir tidak boleh sebelum tanggal awal.")
    statuses = tuple(s for s in (args.get("status") or "").split(",") if s)
    if any(s not in SESSION_STATUSES for s in statuses):
        errors["status"] = _("Status harus dari: %(list)s.", list=", ".join(SESSION_STATUSES))
    f.statuses = statuses
    for key in ("team_id", "site_id"):
        raw = args.get(key)
        if raw not in (None, ""):
            value = parse_id(raw)
            if value is None:
                errors[key] = _("Nomor tidak valid: \"%(value)s\".", value=str(raw)[:40])
            setattr(f, key, value)
    f.kecamatan_kode = args.get("kecamatan") or None
    f.desa_kode = args.get("desa") or None
    f.site_type = args.get("site_type") or None
    kind = args.get("kind") or None
    if kind and kind not in SESSION_KINDS:
        errors["kind"] = _("Jenis sesi harus salah satu dari: perekaman, sosialisasi, keduanya.")
    f.kind = kind
    if errors:
        raise ValidationFailed(errors)
    return f
