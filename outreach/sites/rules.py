"""Validation of a site's fields (no Flask, no database): errors block saving, warnings do not."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from outreach.geo import haversine_km, in_indonesia, looks_swapped, point_in_boundary
from outreach.models.sites import JENJANG_CHOICES
from outreach.vocab import SITE_TYPES

FIELDS = ("type", "nama", "desa_kode", "lat", "lng", "rt", "rw", "address", "npsn", "jenjang", "school_status",
          "contact_name", "contact_phone", "notes", "pemilih_pemula", "coords_approximate", "unavailable_dates")
MAX_LEN = {"nama": 200, "address": 300, "contact_name": 120, "contact_phone": 40, "notes": 2000, "npsn": 20}
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
FAR_FROM_CENTROID_KM = 15.0


@dataclass
class DesaInfo:
    kode: str
    nama: str
    level: str
    lat: Optional[float]
    lng: Optional[float]
    boundary: Optional[str]


@dataclass
class SiteCheck:
    values: dict = field(default_factory=dict)  # cleaned values, ready to assign to a Site
    errors: dict = field(default_factory=dict)  # field -> message
    warnings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _int_or_none(raw, name, check: SiteCheck, label: str, low: int = 0, high: int = 10**7):
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        check.errors[name] = f"{label} harus berupa bilangan bulat."
        return None
    if not low <= value <= high:
        check.errors[name] = f"{label} harus antara {low} dan {high}."
        return None
    return value


def _float_or_none(raw, name, check: SiteCheck, label: str):
    if raw in (None, ""):
        check.errors[name] = f"{label} wajib diisi."
        return None
    try:
        return float(str(raw).strip().replace(",", "."))
    except ValueError:
        check.errors[name] = f"{label} harus berupa angka desimal, mis. -7.0051."
        return None


def check_site(data: dict, desa: Optional[DesaInfo]) -> SiteCheck:
    """Clean and validate raw site input (form or JSON). `desa` is the region named by desa_kode, if any."""
    check = SiteCheck()
    v = check.values
    for name in ("nama", "address", "contact_name", "contact_phone", "notes", "npsn", "jenjang", "school_status"):
        raw = data.get(name)
        v[name] = str(raw).strip() if raw is not None else ""
        if name in MAX_LEN and len(v[name]) > MAX_LEN[name]:
            check.errors[name] = f"Maksimal {MAX_LEN[name]} karakter (terisi {len(v[name])})."
    site_type = (data.get("type") or "").strip()
    if site_type not in SITE_TYPES:
        check.errors["type"] = "Jenis lokasi tidak dikenal."
    v["type"] = site_type
    if not v["nama"]:
        check.errors["nama"] = "Nama lokasi wajib diisi."

    desa_kode = (data.get("desa_kode") or "").strip()
    v["desa_kode"] = desa_kode
    if not desa_kode:
        check.errors["desa_kode"] = "Desa/kelurahan wajib dipilih."
    elif desa is None or desa.level != "desa":
        check.errors["desa_kode"] = f"Kode desa/kelurahan '{desa_kode}' tidak ditemukan."

    lat = _float_or_none(data.get("lat"), "lat", check, "Lintang (lat)")
    lng = _float_or_none(data.get("lng"), "lng", check, "Bujur (lng)")
    v["lat"], v["lng"] = lat, lng
    if lat is not None and lng is not None:
        if not (-90 <= lat <= 90 and -180 <= lng <= 180) or not in_indonesia(lat, lng):
            if looks_swapped(lat, lng):
                check.errors["lat"] = "Lintang dan bujur tampaknya tertukar: lintang Jawa Tengah sekitar -7, bujur sekitar 110."
            else:
                check.errors["lat"] = "Koordinat berada di luar wilayah Indonesia. Periksa lintang (lat) dan bujur (lng)."
        elif desa is not None and desa.level == "desa":
            inside = point_in_boundary(lat, lng, desa.boundary)
            if inside is False:
                check.warnings.append(f"Titik berada di luar batas {desa.nama}. Periksa kembali koordinatnya.")
            elif inside is None and desa.lat is not None and desa.lng is not None:
                distance = haversine_km(lat, lng, desa.lat, desa.lng)
                if distance > FAR_FROM_CENTROID_KM:
                    check.warnings.append(
                        f"Titik berjarak {distance:.0f} km dari pusat {desa.nama}. Periksa kembali koordinatnya.")

    v["rt"] = _int_or_none(data.get("rt"), "rt", check, "RT", 1, 999)
    v["rw"] = _int_or_none(data.get("rw"), "rw", check, "RW", 1, 999)
    if site_type == "rt_rw":
        if v["rt"] is None and "rt" not in check.errors:
            check.errors["rt"] = "Nomor RT wajib diisi untuk lokasi RT/RW."
        if v["rw"] is None and "rw" not in check.errors:
            check.errors["rw"] = "Nomor RW wajib diisi untuk lokasi RT/RW."
    if v["npsn"] and not re.fullmatch(r"[0-9A-Za-z]{8}", v["npsn"]):
        check.errors["npsn"] = "NPSN terdiri dari 8 karakter (angka/huruf)."
    if v["jenjang"] and v["jenjang"] not in JENJANG_CHOICES:
        check.errors["jenjang"] = "Jenjang sekolah tidak dikenal."
    if v["school_status"] and v["school_status"] not in ("negeri", "swasta"):
        check.errors["school_status"] = "Status sekolah harus negeri atau swasta."
    if site_type != "sekolah":
        v["npsn"], v["jenjang"], v["school_status"] = None, None, None
    else:
        v["npsn"] = v["npsn"] or None
        v["jenjang"] = v["jenjang"] or None
        v["school_status"] = v["school_status"] or None
    v["pemilih_pemula"] = _int_or_none(data.get("pemilih_pemula"), "pemilih_pemula", check, "Jumlah pemilih pemula")
    if v["contact_phone"] and not PHONE_RE.match(v["contact_phone"]):
        check.errors["contact_phone"] = "Nomor telepon hanya boleh berisi angka, spasi, tanda hubung, dan + di depan."
    v["coords_approximate"] = str(data.get("coords_approximate", "")).lower() in ("1", "true", "y", "on", "ya")
    spec, problem = normalise_date_spec(data.get("unavailable_dates"))
    v["unavailable_dates"] = spec
    if problem:
        check.errors["unavailable_dates"] = problem
    return check


MAX_UNAVAILABLE_DAYS = 400


def normalise_date_spec(raw) -> tuple[str, Optional[str]]:
    """Clean "YYYY-MM-DD" and "YYYY-MM-DD..YYYY-MM-DD" items (comma or newline separated).

    Returns the normalised text and an error message (Bahasa Indonesia) or None."""
    from datetime import date

    text = str(raw or "").strip()
    if not text:
        return "", None
    items, days = [], 0
    for token in re.split(r"[,\n;]+", text):
        token = token.strip()
        if not token:
            continue
        first, _, last = token.partition("..")
        try:
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError:
            return text, f"Tanggal '{token[:30]}' tidak dikenali. Tulis TTTT-BB-HH atau TTTT-BB-HH..TTTT-BB-HH."
        if end < start:
            return text, f"Rentang '{token[:30]}' terbalik: tanggal akhir sebelum tanggal awal."
        days += (end - start).days + 1
        items.append(start.isoformat() if start == end else f"{start.isoformat()}..{end.isoformat()}")
    if days > MAX_UNAVAILABLE_DAYS:
        return text, f"Terlalu banyak hari ({days}); maksimal {MAX_UNAVAILABLE_DAYS}."
    return ", ".join(items), None


def expand_date_spec(spec: Optional[str]) -> frozenset:
    """The set of dates named by a normalised spec (see normalise_date_spec)."""
    from datetime import date, timedelta

    out = set()
    for token in (spec or "").split(","):
        token = token.strip()
        if not token:
            continue
        first, _, last = token.partition("..")
        start = date.fromisoformat(first)
        end = date.fromisoformat(last) if last else start
        while start <= end:
            out.add(start)
            start += timedelta(days=1)
    return frozenset(out)
