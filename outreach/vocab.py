"""One vocabulary for the turnout log: the label of every recorded group, sex, not-recorded reason and
away reason, and of every column a log correction can change.

The keys are the tuples of the models (outreach.models.field RECORDED_GROUPS, SEXES,
NOT_RECORDED_REASONS; outreach.models.regions AWAY_REASONS). The label functions follow whatever those
tuples hold: a key without a label here is shown readably ("sekolah_luar_daerah" → "Sekolah luar
daerah") until its label is added below. The log form, the session page, the exports and the field
pages all read these; a label is never retyped elsewhere.

Pure: nothing from Flask at import time. The msgids are marked with N_ (extracted by pybabel) and
translated when a label function is called (outreach.i18n.gettext_here: the user's language in a
request, the Indonesian msgid elsewhere).
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Optional


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; translated later, when the label is asked for."""
    return msgid


RECORDED_GROUP_LABELS = {
    "pemilih_pemula": N_("Pemilih pemula"),
    "umum": N_("Umum"),
    "lansia_disabilitas": N_("Lansia, disabilitas, dan sakit (di rumah)"),
}
SEX_LABELS = {
    "L": N_("Laki-laki (L)"),
    "P": N_("Perempuan (P)"),
}
NOT_RECORDED_LABELS = {
    "tidak_ditemukan_siak": N_("Data tidak ditemukan di SIAK / NIK ganda"),
    "sudah_rekam": N_("Ternyata sudah rekam"),
    "belum_cukup_umur": N_("Belum cukup umur"),
    "gangguan_alat_jaringan": N_("Gangguan alat atau jaringan"),
    "tidak_bersedia": N_("Tidak bersedia"),
}
AWAY_REASON_LABELS = {
    "luar_negeri": N_("Di luar negeri / pekerja migran (TKI/PMI)"),
    "sekolah_luar_daerah": N_("Sekolah/kuliah di luar daerah"),
    "bekerja_luar_daerah": N_("Bekerja di luar daerah"),
    "pindah_meninggal": N_("Pindah atau meninggal"),
    "lainnya": N_("Lainnya"),
}
# Residents who refused to record (logged as "tidak_bersedia"): an obstacle of their own per desa.
MENOLAK_LABEL = N_("Menolak direkam")
# The log's other columns, as an audit entry of the log names them.
LOG_FIELD_LABELS = {
    "recorded_total": N_("Jumlah terekam"),
    "started_at": N_("Jam mulai"),
    "ended_at": N_("Jam selesai"),
    "kit_ids": N_("Alat yang dipakai"),
    "notes": N_("Catatan"),
    "over_capacity_confirmed": N_("Konfirmasi melebihi kemampuan alat"),
}
# Column families of a log: column prefix -> (labels of the keys, label of the family with the key's label).
_FAMILY_TITLES = {
    "recorded_": N_("Terekam: %(label)s"),
    "not_recorded_": N_("Tidak terekam: %(label)s"),
    "away_": N_("Diketahui tidak di tempat: %(label)s"),
}


def _gettext(msgid: str, **variables) -> str:
    from outreach.i18n import gettext_here

    return gettext_here(msgid, **variables)


def readable_key(key: str) -> str:
    """A key without a label, made readable: "sekolah_luar_daerah" → "Sekolah luar daerah"."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def labels_for(keys: Iterable[str], table: Mapping[str, str],
               _: Optional[Callable[..., str]] = None) -> dict[str, str]:
    """{key: translated label} for `keys` in their order; a key missing from `table` gets readable_key."""
    translate = _ or _gettext
    return {k: translate(table[k]) if k in table else readable_key(k) for k in keys}


def recorded_group_labels(_=None) -> dict[str, str]:
    """Labels of the recorded groups (also a session's target groups), in the model's order."""
    from outreach.models.field import RECORDED_GROUPS

    return labels_for(RECORDED_GROUPS, RECORDED_GROUP_LABELS, _)


def sex_labels(_=None) -> dict[str, str]:
    """Labels of the sexes a log counts (L, P)."""
    from outreach.models.field import SEXES

    return labels_for(SEXES, SEX_LABELS, _)


def not_recorded_labels(_=None) -> dict[str, str]:
    """Labels of the reasons people who came could not be recorded, in the model's order."""
    from outreach.models.field import NOT_RECORDED_REASONS

    return labels_for(NOT_RECORDED_REASONS, NOT_RECORDED_LABELS, _)


def away_reason_labels(_=None) -> dict[str, str]:
    """Labels of the reasons residents are known to be away, following AWAY_REASONS."""
    from outreach.models.regions import AWAY_REASONS

    return labels_for(AWAY_REASONS, AWAY_REASON_LABELS, _)


def log_label_families(_=None) -> dict[str, dict[str, str]]:
    """The log's count families by their API name: {"recorded": {...}, "recorded_by_sex": {...},
    "not_recorded": {...}, "away": {...}}."""
    return {"recorded": recorded_group_labels(_), "recorded_by_sex": sex_labels(_),
            "not_recorded": not_recorded_labels(_), "away": away_reason_labels(_)}


def log_field_label(column: str, _=None) -> str:
    """The label of one column of a turnout log (as an audit entry names it), e.g. "recorded_umum" →
    "Terekam: Umum". Columns of reasons no longer in the tuples keep a readable label."""
    translate = _ or _gettext
    if column in LOG_FIELD_LABELS:
        return translate(LOG_FIELD_LABELS[column])
    for prefix, title in _FAMILY_TITLES.items():
        if column.startswith(prefix):
            key = column[len(prefix):]
            if prefix == "recorded_":
                table = {**RECORDED_GROUP_LABELS, **{s.lower(): v for s, v in SEX_LABELS.items()}}
            else:
                table = NOT_RECORDED_LABELS if prefix == "not_recorded_" else AWAY_REASON_LABELS
            label = translate(table[key]) if key in table else readable_key(key)
            return translate(title, label=label)
    return readable_key(column)
