"""Derive the demo's boundaries (Kota Semarang's 16 kecamatan and 177 kelurahan) from the shared
public data: simplified (about 50 m) and rounded to 5 decimals, so the file stays small.

    python scripts/derive_demo_boundaries.py ../shared/data outreach/data/semarang_batas.geojson

Source and licence: see outreach/data/README.md. Run again only when the source changes.
"""
import json
import sys
from pathlib import Path

from shapely.geometry import mapping, shape

KABUPATEN = "33.74"
TOLERANCE = 0.0005  # degrees


def _rounded(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], 5), round(coords[1], 5)]
    return [_rounded(c) for c in coords]


def derive(data_dir: Path) -> dict:
    features = []
    for name in ("jateng_kecamatan.geojson", "jateng_desa.geojson"):
        for feature in json.loads((data_dir / name).read_text(encoding="utf-8"))["features"]:
            props = feature["properties"]
            if not props["kode"].startswith(KABUPATEN + "."):
                continue
            geometry = mapping(shape(feature["geometry"]).simplify(TOLERANCE, preserve_topology=True))
            geometry = {"type": geometry["type"], "coordinates": _rounded(json.loads(json.dumps(geometry["coordinates"])))}
            features.append({"type": "Feature", "geometry": geometry,
                             "properties": {"kode": props["kode"], "nama": props["nama"]}})
    return {"type": "FeatureCollection", "features": features}


if __name__ == "__main__":
    src, dest = Path(sys.argv[1]), Path(sys.argv[2])
    dest.write_text(json.dumps(derive(src), separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{dest}: {dest.stat().st_size} bytes")
