"""The turnout log's vocabulary, its history shaped from audit entries, the correction reason, the late-log
rule and the mop-up's default absentees: pure functions, tested without the app."""
from datetime import date, datetime, time, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from outreach import vocab
from outreach.field import history, rules
from outreach.models import field as field_model
from outreach.models import regions as regions_model
from outreach.planning import mop_up

WIB = ZoneInfo("Asia/Jakarta")


# ---------------------------------------------------------------- vocabulary

def test_labels_follow_the_tuples_the_models_read():
    assert field_model.RECORDED_GROUPS is vocab.RECORDED_GROUPS and regions_model.AWAY_REASONS is vocab.AWAY_REASONS
    assert list(vocab.recorded_group_labels()) == list(vocab.RECORDED_GROUPS)
    assert list(vocab.sex_labels()) == list(vocab.SEXES)
    assert list(vocab.not_recorded_labels()) == list(vocab.NOT_RECORDED_REASONS)
    assert list(vocab.away_reason_labels()) == list(vocab.AWAY_REASONS)
    assert vocab.not_recorded_labels()["tidak_ditemukan_siak"] == "Data tidak ditemukan di SIAK / NIK ganda"
    assert set(vocab.log_label_families()) == {"recorded", "recorded_by_sex", "not_recorded", "away"}


def test_a_new_away_reason_gets_a_readable_label_until_its_own_is_added(monkeypatch):
    monkeypatch.setitem(vocab.ENUMERATIONS, "away_reason",
                        (("luar_negeri", "berlayar_di_kapal", "lainnya"), vocab.AWAY_REASON_LABELS))
    labels = vocab.away_reason_labels()
    assert list(labels) == ["luar_negeri", "berlayar_di_kapal", "lainnya"]
    assert labels["luar_negeri"] == vocab.AWAY_REASON_LABELS["luar_negeri"]
    assert labels["berlayar_di_kapal"] == "Berlayar di kapal"


@pytest.mark.parametrize("column,label", [
    ("recorded_umum", "Terekam: Umum"),
    ("recorded_pemilih_pemula", "Terekam: Pemilih pemula"),
    ("recorded_l", "Terekam: Laki-laki (L)"),
    ("recorded_total", "Jumlah terekam"),
    ("not_recorded_tidak_ditemukan_siak", "Tidak terekam: Data tidak ditemukan di SIAK / NIK ganda"),
    ("not_recorded_gangguan_alat_jaringan", "Tidak terekam: Gangguan alat atau jaringan"),
    ("away_luar_negeri", "Diketahui tidak di tempat: " + vocab.AWAY_REASON_LABELS["luar_negeri"]),
    ("away_luar_daerah", None),  # a reason AWAY_REASONS held once: a label, never the raw column
    ("started_at", "Jam mulai"),
    ("kit_ids", "Alat yang dipakai"),
    ("over_capacity_confirmed", "Konfirmasi melebihi kemampuan alat"),
])
def test_every_log_column_has_a_label_people_read(column, label):
    shown = vocab.log_field_label(column)
    assert shown != column and "_" not in shown
    if label is not None:
        assert shown == label
    else:
        assert shown.startswith("Diketahui tidak di tempat: ")


def test_every_count_column_of_the_model_has_a_label():
    for column in field_model.COUNT_COLUMNS:
        assert "_" not in vocab.log_field_label(column), column


def test_the_translation_function_is_used_when_given():
    shown = vocab.log_field_label("recorded_umum", _=lambda m, **v: (m % v if v else m).upper())
    assert shown == "TEREKAM: UMUM"


# ---------------------------------------------------------------- history

def _row(at, action, changes, reason="", user=None):
    return SimpleNamespace(at=at, action=action, changes=changes, reason=reason, user=user,
                           user_id=user.id if user else None)


def test_history_entries_name_the_columns_and_keep_old_and_new():
    coord = SimpleNamespace(id=7, name="", username="koordinator")
    rows = [_row(datetime(2026, 5, 5, 2, 0), "update", {"recorded_umum": [31, 17], "recorded_total": [31, 17]},
                 "Dicek ulang", coord),
            _row(datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc), "update", {"recorded_umum": [15, 31]},
                 "known_away.luar_negeri +3; site.pemilih_pemula_recorded -2")]
    entries = history.entries_from_audit(rows)
    assert [(c.label, c.old, c.new) for c in entries[0].changes] == [("Terekam: Umum", 31, 17),
                                                                       ("Jumlah terekam", 31, 17)]
    assert entries[0].user_name == "koordinator" and entries[0].reason == "Dicek ulang"
    assert entries[0].at == datetime(2026, 5, 5, 2, 0, tzinfo=timezone.utc)  # stored naive: UTC
    # an earlier version's note of the figures moved is not a reason
    assert entries[1].reason == "" and entries[1].user_name is None


def test_history_as_the_api_gives_it():
    user = SimpleNamespace(id=3, name="Tim Satu", username="lapangan")
    rows = [_row(datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc), "update",
                 {"recorded_umum": [15, 31], "ended_at": ["2026-05-04T05:00:00+00:00", "2026-05-04T05:30:00+00:00"]},
                 "Salah ketik", user)]
    out = history.history_to_dicts(history.entries_from_audit(rows), WIB)
    assert out == [{"at": "2026-05-04T15:00:00+07:00", "action": "update", "user": {"id": 3, "name": "Tim Satu"},
                    "changes": {"recorded_umum": [15, 31],
                                "ended_at": ["2026-05-04T12:00:00+07:00", "2026-05-04T12:30:00+07:00"]},
                    "reason": "Salah ketik"}]


@pytest.mark.parametrize("column,value,shown", [
    ("recorded_umum", 17, "17"),
    ("recorded_umum", 0, "0"),
    ("notes", "", "–"),
    ("notes", None, "–"),
    ("started_at", "2026-05-04T01:05:00+00:00", "2026-05-04 08:05"),
    ("kit_ids", [2, 9], "KIT-B, #9"),
    ("over_capacity_confirmed", True, "ya"),
])
def test_display_values(column, value, shown):
    assert history.display_value(column, value, WIB, {2: "KIT-B"}) == shown


# ---------------------------------------------------------------- the reason of a correction

@pytest.mark.parametrize("raw,expected", [(None, ""), ("", ""), ("  Salah ketik \n", "Salah ketik"),
                                          ("x" * rules.CORRECTION_REASON_MAX_CHARS, "x" * 500)])
def test_a_correction_reason_is_optional_text(raw, expected):
    assert rules.parse_correction_reason(raw) == (expected, None)


@pytest.mark.parametrize("raw,message", [
    ("ada\x00nol", "NUL"),
    ("x" * (rules.CORRECTION_REASON_MAX_CHARS + 1), "terlalu panjang: 501 karakter, paling banyak 500"),
    (12, "harus berupa teks"),
    (["a"], "harus berupa teks"),
])
def test_a_bad_correction_reason_is_refused_in_indonesian(raw, message):
    value, error = rules.parse_correction_reason(raw)
    assert value is None and message in error and error.startswith("Alasan koreksi")


# ---------------------------------------------------------------- late logs

@pytest.mark.parametrize("stored,late", [
    (datetime(2026, 5, 5, 12, 0, tzinfo=WIB), False),    # exactly 24 h after the end: still on time
    (datetime(2026, 5, 5, 12, 1, tzinfo=WIB), True),
    (datetime(2026, 5, 9, 12, 0, tzinfo=WIB), True),     # five days late
    (datetime(2026, 5, 4, 10, 0, tzinfo=WIB), False),    # before the end (sent from the site)
])
def test_a_log_is_late_after_late_log_hours(stored, late):
    assert rules.sent_late(stored, date(2026, 5, 4), time(12, 0), WIB, 24) is late


def test_a_multi_day_session_is_late_from_its_last_day():
    stored = datetime(2026, 5, 6, 9, 0, tzinfo=WIB)
    assert not rules.sent_late(stored, date(2026, 5, 5), time(15, 0), WIB, 24)
    assert rules.sent_late(stored, date(2026, 5, 4), time(15, 0), WIB, 24)


# ---------------------------------------------------------------- mop-up absentees

def test_mop_up_absentees_are_those_a_return_visit_can_record():
    absentees = mop_up.absentees_from_log({"gangguan_alat_jaringan": 8, "tidak_ditemukan_siak": 4,
                                           "tidak_bersedia": 3, "sudah_rekam": 2, "belum_cukup_umur": 1})
    assert absentees.total == 12
    assert absentees.by_reason == {"gangguan_alat_jaringan": 8, "tidak_ditemukan_siak": 4}
    assert mop_up.absentees_from_log(None).total == 0
    assert set(mop_up.RETURN_VISIT_REASONS) <= set(field_model.NOT_RECORDED_REASONS)
