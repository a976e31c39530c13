"""Upgrading a database whose regions were imported without their province row adds the row, from the
official list, and hangs the kabupaten/kota under it."""
import sqlalchemy as sa

from outreach import create_app


def test_upgrade_adds_the_missing_province_rows(tmp_path):
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}",
                      "SECRET_KEY": "test-secret"})
    with app.app_context():
        upgrade(revision="0015")
        from outreach.extensions import db

        with db.engine.begin() as conn:
            for kode, nama, prov in (("33.74", "Kota Semarang", "33"), ("51.71", "Kota Denpasar", "51"),
                                     ("99.01", "Kabupaten Khayalan", "99")):
                conn.execute(sa.text("INSERT INTO region (kode, nama, level, kind, provinsi_kode, kabupaten_kode, "
                                     "has_boundary, updated_at) VALUES (:k, :n, 'kabupaten', 'kota', :p, :k, 0, "
                                     "'2026-01-01 00:00:00')"), {"k": kode, "n": nama, "p": prov})
        upgrade()
        with db.engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT kode, nama FROM region WHERE level = 'provinsi'")).all())
            parents = dict(conn.execute(sa.text("SELECT kode, parent_kode FROM region WHERE level = 'kabupaten'")).all())
        db.engine.dispose()
    assert rows == {"33": "Jawa Tengah", "51": "Bali"}
    assert parents == {"33.74": "33", "51.71": "51", "99.01": None}
