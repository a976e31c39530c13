"""Intake of visit requests: checks what the public form and the public API send, stores it, answers the status page.

`validate(data)` is shared by the HTML form (strings) and the JSON API (exact JSON types): it returns the
cleaned values and a message per field, in Bahasa Indonesia, naming the field. `submit` adds the abuse rules
(the form's honeypot answers as if accepted and stores nothing; the open-requests cap per phone number is a
field error of `validate`), `create` stores a request under a new code, and `public_status` answers the code
plus the last 4 digits of the phone number with the request's progress, never its personal data.

Needs an app context (regions, the requests table, the settings) but no HTTP request.
"""
from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from outreach import clock
from outreach.cache import ProcessCache
from outreach.extensions import db
from outreach.i18n import N_, gettext_here as _
from outreach.imports.common import INDONESIA, Bbox
from outreach.models import Region, VisitRequest
from outreach.models.regions import level_of
from outreach.phones import mobile_number as normalise_phone
from outreach.models.requests import (REQUEST_ADDRESS_MAX, REQUEST_DESCRIPTION_MAX, REQUEST_NAME_MAX,
                                      REQUEST_PEOPLE_MAX, REQUEST_RELATION_MAX)
from outreach.vocab import HOME_VISIT_KINDS, REQUEST_KINDS, REQUEST_OPEN_STATUSES, labels_of

# The code a requester keeps: "JB-" and 6 characters without the look-alikes 0/O and 1/I.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_PREFIX = "JB-"
CODE_LENGTH = 6
CODE_RE = re.compile(r"^JB-[%s]{%d}$" % (CODE_ALPHABET, CODE_LENGTH))
CODE_INPUT_MAX = 20  # what the status form and the API accept before looking anything up
RT_RW_MAX = 999
# How far (degrees, about 11 km) a pin may lie beyond the outermost region points of the desa's kabupaten.
PIN_MARGIN = 0.1
DEFAULT_OPEN_PER_PHONE = 3
DEFAULT_RETENTION_DAYS = 90

# The fields in the order the form shows them (the first error is the first of these).
FIELDS = ("kind", "desa_kode", "address", "rt", "rw", "people", "description", "requester_name", "relation",
          "phone", "lat", "lng")
FIELD_LABELS = {
    "kind": N_("Jenis permohonan"),
    "desa_kode": N_("Desa/kelurahan"),
    "address": N_("Alamat"),
    "rt": N_("RT"),
    "rw": N_("RW"),
    "people": N_("Jumlah orang"),
    "description": N_("Keterangan"),
    "requester_name": N_("Nama pemohon"),
    "relation": N_("Hubungan dengan yang direkam"),
    "phone": N_("Nomor WhatsApp"),
    "lat": N_("Titik lokasi (lintang)"),
    "lng": N_("Titik lokasi (bujur)"),
}
# (max length, required, multi-line) of the free-text fields: the model's sizes.
TEXT_FIELDS = {
    "address": (REQUEST_ADDRESS_MAX, True, False),
    "description": (REQUEST_DESCRIPTION_MAX, False, True),
    "requester_name": (REQUEST_NAME_MAX, True, False),
    "relation": (REQUEST_RELATION_MAX, True, False),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE_INPUT_MAX = 30


def field_label(name: str) -> str:
    return _(FIELD_LABELS[name])


# ---------------------------------------------------------------- checking one value

class _Refused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _text(data: Mapping[str, Any], name: str) -> str:
    maximum, required, multiline = TEXT_FIELDS[name]
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _Refused(_("%(field)s harus berupa teks.", field=field_label(name)))
    value = value.replace("\r\n", "\n").strip()
    if required and not value:
        raise _Refused(_("%(field)s wajib diisi.", field=field_label(name)))
    if len(value) > maximum:
        raise _Refused(_("%(field)s terlalu panjang (%(length)d karakter, maksimal %(max)d).",
                         field=field_label(name), length=len(value), max=maximum))
    if (_CONTROL_MULTILINE if multiline else _CONTROL).search(value):
        raise _Refused(_("%(field)s berisi karakter yang tidak diizinkan.", field=field_label(name)))
    return value


def _whole(data: Mapping[str, Any], name: str, low: int, high: int, required: bool) -> Optional[int]:
    value = data.get(name)
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        if required:
            raise _Refused(_("%(field)s wajib diisi.", field=field_label(name)))
        return None
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,9}", value):
        value = int(value)  # "-3" is a whole number out of range, not "not a number"
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refused(_("%(field)s harus bilangan bulat.", field=field_label(name)))
    if not low <= value <= high:
        raise _Refused(_("%(field)s harus antara %(low)d dan %(high)d.", field=field_label(name), low=low,
                         high=high))
    return value


def _number(data: Mapping[str, Any], name: str) -> Optional[float]:
    value = data.get(name)
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
        if value == "":
            return None
        if len(value) > 30:
            raise _Refused(_("%(field)s harus berupa angka.", field=field_label(name)))
        try:
            value = float(value)
        except ValueError:
            raise _Refused(_("%(field)s harus berupa angka.", field=field_label(name)))
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Refused(_("%(field)s harus berupa angka.", field=field_label(name)))
    return float(value)




def _phone(data: Mapping[str, Any]) -> str:
    value = data.get("phone")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Refused(_("%(field)s wajib diisi.", field=field_label("phone")))
    if not isinstance(value, str):
        raise _Refused(_("%(field)s harus berupa teks, mis. \"0812 3456 7890\".", field=field_label("phone")))
    normalised = normalise_phone(value.strip()) if len(value) <= _PHONE_INPUT_MAX else None
    if normalised is None:
        raise _Refused(_("%(field)s harus nomor ponsel Indonesia, mis. 0812 3456 7890 atau +62 812 3456 7890.",
                         field=field_label("phone")))
    return normalised


# ---------------------------------------------------------------- the whole request

def validate(data: Mapping[str, Any]) -> tuple[dict, dict]:
    """(cleaned values, {field: message}) of a request as the form or the API sent it; errors empty when valid."""
    cleaned: dict = {}
    errors: dict = {}

    def check(name, read):
        try:
            cleaned[name] = read()
        except _Refused as refused:
            errors[name] = refused.message

    check("kind", lambda: _kind(data))
    check("desa_kode", lambda: _desa(data, cleaned))
    for name in ("address",):
        check(name, lambda: _text(data, name))
    check("rt", lambda: _whole(data, "rt", 0, RT_RW_MAX, False))
    check("rw", lambda: _whole(data, "rw", 0, RT_RW_MAX, False))
    check("people", lambda: _whole(data, "people", 1, REQUEST_PEOPLE_MAX, True))
    for name in ("description", "requester_name", "relation"):
        check(name, lambda: _text(data, name))
    check("phone", lambda: _phone(data))
    if "phone" in cleaned:
        check("phone", lambda: _open_cap(cleaned["phone"]))
    check("lat", lambda: _number(data, "lat"))
    check("lng", lambda: _number(data, "lng"))
    if "lat" in cleaned and "lng" in cleaned:
        check("lat", lambda: _pin(cleaned, cleaned.get("kabupaten_kode")))
    errors = {name: errors[name] for name in FIELDS if name in errors}
    return ({} if errors else cleaned), errors


def _kind(data: Mapping[str, Any]) -> str:
    value = data.get("kind")
    if value is None or value == "":
        raise _Refused(_("%(field)s wajib dipilih.", field=field_label("kind")))
    if not isinstance(value, str) or value not in REQUEST_KINDS:
        raise _Refused(_("%(field)s tidak dikenal. Pilih salah satu dari daftar.", field=field_label("kind")))
    return value


def _desa(data: Mapping[str, Any], cleaned: dict) -> str:
    value = data.get("desa_kode")
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        raise _Refused(_("%(field)s wajib dipilih.", field=field_label("desa_kode")))
    if not isinstance(value, str) or len(value) > 20 or level_of(value) != "desa":
        raise _Refused(_("%(field)s harus kode desa/kelurahan bertitik, mis. 33.74.01.1001.",
                         field=field_label("desa_kode")))
    region = db.session.get(Region, value)
    if region is None or region.level != "desa":
        raise _Refused(_("%(field)s %(kode)s tidak ditemukan.", field=field_label("desa_kode"), kode=value))
    cleaned.update(kecamatan_kode=region.kecamatan_kode, kabupaten_kode=region.kabupaten_kode,
                   provinsi_kode=region.provinsi_kode)
    return region.kode


def open_per_phone() -> int:
    return int(current_app.config.get("REQUEST_OPEN_PER_PHONE", DEFAULT_OPEN_PER_PHONE))


def _open_cap(phone: str) -> str:
    """The phone number, unless it already has REQUEST_OPEN_PER_PHONE requests still open."""
    cap = open_per_phone()
    open_count = db.session.scalar(sa.select(sa.func.count()).select_from(VisitRequest).where(
        VisitRequest.phone == phone, VisitRequest.status.in_(REQUEST_OPEN_STATUSES)))
    if open_count >= cap:
        raise _Refused(_("Nomor ini sudah punya %(n)d permohonan yang masih berjalan. Tunggu sampai salah satunya "
                         "selesai, atau hubungi kantor Dukcapil.", n=open_count))
    return phone


def kabupaten_bbox(kabupaten_kode: Optional[str]) -> Bbox:
    """Where a pin in this kabupaten may lie: its regions' points plus a margin; Indonesia when it has none."""
    if not kabupaten_kode:
        return INDONESIA
    R = Region
    lat_min, lat_max, lng_min, lng_max = db.session.execute(
        sa.select(sa.func.min(R.lat), sa.func.max(R.lat), sa.func.min(R.lng), sa.func.max(R.lng))
        .where(R.kabupaten_kode == kabupaten_kode, R.lat.is_not(None), R.lng.is_not(None))).one()
    if lat_min is None:
        return INDONESIA
    name = db.session.scalar(sa.select(R.nama).where(R.kode == kabupaten_kode)) or kabupaten_kode
    m = PIN_MARGIN
    return Bbox(lat_min - m, lat_max + m, lng_min - m, lng_max + m, name)


def _pin(cleaned: dict, kabupaten_kode: Optional[str]) -> Optional[float]:
    lat, lng = cleaned["lat"], cleaned["lng"]
    if lat is None and lng is None:
        return None
    if lat is None or lng is None:
        raise _Refused(_("Titik lokasi perlu lintang dan bujur sekaligus (atau kosongkan keduanya)."))
    if not INDONESIA.contains(lat, lng):
        raise _Refused(_("Titik lokasi (%(lat)s, %(lng)s) di luar Indonesia.", lat=f"{lat:g}", lng=f"{lng:g}"))
    bbox = kabupaten_bbox(kabupaten_kode)
    if not bbox.contains(lat, lng):
        raise _Refused(_("Titik lokasi (%(lat)s, %(lng)s) jauh dari %(area)s. Kosongkan titik lokasi bila Anda "
                         "tidak sedang berada di alamat itu.", lat=f"{lat:g}", lng=f"{lng:g}", area=bbox.name))
    return lat


# ---------------------------------------------------------------- storing

def new_code() -> str:
    """A fresh request code, e.g. JB-7KQ4MX: unguessable (secrets) and easy to read aloud."""
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def create(cleaned: dict, source: str) -> VisitRequest:
    """Store a checked request (validate's cleaned values) under a new unique code, status "baru"."""
    for attempt in range(5):
        code = new_code()
        if db.session.scalar(sa.select(VisitRequest.id).where(VisitRequest.code == code)) is not None:
            continue
        now = clock.utcnow()
        row = VisitRequest(code=code, source=source, status="baru", phone_last4=cleaned["phone"][-4:],
                           created_at=now, updated_at=now, status_changed_at=now,
                           **{k: cleaned.get(k) for k in ("kind", "desa_kode", "kecamatan_kode", "kabupaten_kode",
                                                         "provinsi_kode", "rt", "rw", "people", "lat", "lng")},
                           **{k: cleaned.get(k) or "" for k in ("address", "description", "requester_name",
                                                               "relation", "phone")})
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:  # the same code made at the same instant by another worker
            db.session.rollback()
            continue
        return row
    raise RuntimeError("no free request code after 5 attempts")


@dataclass
class Submission:
    """What the form or the API answers: the code (also for a honeypot hit), or the errors per field."""

    code: Optional[str] = None
    errors: dict = field(default_factory=dict)
    stored: bool = False


def submit(data: Mapping[str, Any], source: str, honeypot: Optional[str] = None) -> Submission:
    """Check and store a request. A filled honeypot (a field people never see) gets a code as if accepted,
    and nothing is stored: a bot learns nothing to adapt to."""
    if isinstance(honeypot, str) and honeypot.strip():
        return Submission(code=new_code())
    cleaned, errors = validate(data)
    if errors:
        return Submission(errors=errors)
    row = create(cleaned, source)
    from outreach.requests.queue import announce  # the coordinators of the kecamatan hear of it at once

    announce(row)
    return Submission(code=row.code, stored=True)


# ---------------------------------------------------------------- the public status page

def normalise_code(raw: Any) -> Optional[str]:
    """"jb-7kq4mx", "7KQ4MX" or " JB 7KQ4MX " → "JB-7KQ4MX"; None when it cannot be a code."""
    if not isinstance(raw, str) or len(raw) > CODE_INPUT_MAX:
        return None
    text = re.sub(r"[\s\-]", "", raw).upper()
    if text.startswith("JB"):
        text = text[2:]
    code = CODE_PREFIX + text
    return code if CODE_RE.match(code) else None


def _local_day(moment: Optional[datetime]) -> Optional[str]:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite gives back naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(clock.local_tz()).date().isoformat()


def public_status(code: Any, last4: Any) -> Optional[dict]:
    """The progress of the request with this code, when `last4` are the last 4 digits of its phone number;
    None otherwise (the same answer for an unknown code and wrong digits). No personal data in it."""
    code = normalise_code(code)
    if code is None or not isinstance(last4, str) or not re.fullmatch(r"[0-9]{4}", last4.strip()):
        return None
    row = db.session.scalar(sa.select(VisitRequest).where(VisitRequest.code == code))
    if row is None or not row.phone_last4 or not secrets.compare_digest(row.phone_last4, last4.strip()):
        return None
    names = dict(db.session.execute(sa.select(Region.kode, Region.nama).where(
        Region.kode.in_((row.desa_kode, row.kecamatan_kode, row.kabupaten_kode)))).all())
    return {
        "code": row.code,
        "kind": row.kind,
        "kind_label": labels_of("request_kind")[row.kind],
        "desa_kode": row.desa_kode,
        "desa": names.get(row.desa_kode, row.desa_kode),
        "kecamatan": names.get(row.kecamatan_kode, row.kecamatan_kode),
        "kabupaten": names.get(row.kabupaten_kode, row.kabupaten_kode),
        "people": row.people,
        "status": row.status,
        "status_label": labels_of("request_status")[row.status],
        "submitted_on": _local_day(row.created_at),
        "status_changed_on": _local_day(row.status_changed_at),
        "closed_on": _local_day(row.closed_at),
        "reason": row.reason if row.status == "ditolak" else "",
        "session": _public_session(row),
    }


def _public_session(row: VisitRequest) -> Optional[dict]:
    """Date, time and place of the session that serves the request (not when it was cancelled). A home
    visit's place is the requester's own address, which is not repeated here."""
    session = row.session
    if session is None or session.status == "dibatalkan":
        return None
    at_home = row.kind in HOME_VISIT_KINDS or (session.site is not None and session.site.type == "rumah")
    return {
        "date": session.date.isoformat(),
        "end_date": session.end_date.isoformat() if session.end_date else None,
        "start_time": session.start_time.strftime("%H:%M"),
        "end_time": session.end_time.strftime("%H:%M"),
        "at_home": at_home,
        "place": None if at_home or session.site is None else session.site.nama,
        "status": session.status,
        "status_label": labels_of("session_status")[session.status],
    }


def retention_days() -> int:
    """Days after a request closes before its personal data is erased (the privacy notice says it)."""
    return int(current_app.config.get("REQUEST_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


# ---------------------------------------------------------------- the desa chooser

_regions_cache = ProcessCache(entries=512)


def region_children(induk: Optional[str]) -> Optional[list[dict]]:
    """[{kode, nama}] under `induk` by name: the kabupaten/kota when `induk` is empty, the kecamatan of a
    kabupaten, the desa/kelurahan of a kecamatan. None for a code that is not a region above a desa."""
    induk = (induk or "").strip()
    if induk and (len(induk) > 20 or level_of(induk) not in ("provinsi", "kabupaten", "kecamatan")):
        return None

    def load():
        R = Region
        if not induk:
            where = R.level == "kabupaten"
        else:
            if db.session.get(R, induk) is None:
                return None
            where = R.parent_kode == induk
        return [{"kode": kode, "nama": nama} for kode, nama in db.session.execute(
            sa.select(R.kode, R.nama).where(where).order_by(R.nama, R.kode)).all()]

    # Regions change only with an import: a few minutes' staleness is harmless.
    return _regions_cache.get(("children", induk), load, recheck=300)


def chosen_path(desa_kode: Optional[str]) -> dict:
    """{"kabupaten", "kecamatan", "desa"} codes leading to a desa (or a kecamatan); empty strings when unknown."""
    kode = (desa_kode or "").strip()
    level = level_of(kode) if kode and len(kode) <= 20 else None
    if level not in ("desa", "kecamatan") or db.session.get(Region, kode) is None:
        return {"kabupaten": "", "kecamatan": "", "desa": ""}
    parts = kode.split(".")
    return {"kabupaten": ".".join(parts[:2]), "kecamatan": ".".join(parts[:3]),
            "desa": kode if level == "desa" else ""}
