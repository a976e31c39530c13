"""Site validation rules, without the app."""
import json

from outreach.sites.rules import DesaInfo, check_site

SQUARE = json.dumps({"type": "Polygon", "coordinates": [[[110.0, -7.1], [110.2, -7.1], [110.2, -6.9], [110.0, -6.9], [110.0, -7.1]]]})
DESA = DesaInfo("33.74.01.1001", "Kelurahan Uji", "desa", -7.0, 110.1, SQUARE)


def base(**kw):
    data = {"type": "balai_desa", "nama": "Balai Kelurahan", "desa_kode": DESA.kode, "lat": "-7.0", "lng": "110.1"}
    data.update(kw)
    return data


def test_valid_site_passes_without_warning():
    check = check_site(base(), DESA)
    assert check.ok and check.warnings == []
    assert check.values["lat"] == -7.0 and check.values["lng"] == 110.1


def test_swapped_coordinates_are_named():
    check = check_site(base(lat="110.1", lng="-7.0"), DESA)
    assert "tertukar" in check.errors["lat"]


def test_out_of_range_and_non_numeric():
    assert "luar wilayah Indonesia" in check_site(base(lat="-95", lng="300"), DESA).errors["lat"]
    assert "angka desimal" in check_site(base(lat="abc"), DESA).errors["lat"]
    assert "wajib diisi" in check_site(base(lng=""), DESA).errors["lng"]


def test_point_outside_boundary_is_a_warning_not_an_error():
    check = check_site(base(lat="-7.5", lng="110.5"), DESA)
    assert check.ok
    assert any("luar batas" in w for w in check.warnings)


def test_far_from_centroid_warns_when_no_boundary():
    desa = DesaInfo(DESA.kode, DESA.nama, "desa", -7.0, 110.1, None)
    assert any("km dari pusat" in w for w in check_site(base(lat="-7.5", lng="110.5"), desa).warnings)
    assert check_site(base(), desa).warnings == []


def test_rt_rw_requires_numbers():
    check = check_site(base(type="rt_rw", rt="", rw="x"), DESA)
    assert "RT wajib" in check.errors["rt"] and "bilangan bulat" in check.errors["rw"]
    assert check_site(base(type="rt_rw", rt="3", rw="5"), DESA).ok


def test_unknown_desa_type_and_empty_name():
    check = check_site(base(type="pasar", nama=" ", desa_kode="99.99"), None)
    assert set(check.errors) >= {"type", "nama", "desa_kode"}


def test_school_fields_only_for_schools_and_checked():
    check = check_site(base(type="sekolah", npsn="123", jenjang="SMA"), DESA)
    assert "NPSN" in check.errors["npsn"]
    clean = check_site(base(type="balai_desa", npsn="20312345", jenjang="SMA"), DESA)
    assert clean.values["npsn"] is None and clean.values["jenjang"] is None


def test_long_fields_and_bad_phone():
    check = check_site(base(nama="x" * 201, contact_phone="call me"), DESA)
    assert "200" in check.errors["nama"] and "telepon" in check.errors["contact_phone"]


def test_html_in_name_is_kept_verbatim_for_escaping_at_display():
    check = check_site(base(nama="<script>alert(1)</script>"), DESA)
    assert check.ok and check.values["nama"] == "<script>alert(1)</script>"


def test_unavailable_dates_are_normalised_and_expanded():
    from datetime import date

    from outreach.sites.rules import expand_date_spec

    check = check_site(base(unavailable_dates="2026-12-30..2027-01-02;\n 2027-02-14 ,"), DESA)
    assert check.ok
    assert check.values["unavailable_dates"] == "2026-12-30..2027-01-02, 2027-02-14"
    days = expand_date_spec(check.values["unavailable_dates"])
    assert days == {date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2), date(2027, 2, 14)}


def test_bad_unavailable_dates_get_a_message():
    assert "tidak dikenali" in check_site(base(unavailable_dates="besok"), DESA).errors["unavailable_dates"]
    assert "terbalik" in check_site(base(unavailable_dates="2027-01-05..2027-01-01"), DESA).errors["unavailable_dates"]
    assert "Terlalu banyak" in check_site(base(unavailable_dates="2026-01-01..2027-12-31"), DESA).errors["unavailable_dates"]
