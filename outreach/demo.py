"""`flask --app app seed-demo`: load the demo (Kota Semarang) into the database.

Idempotent: every demo row is looked up by its natural key and created or brought up to date, so a
second run leaves the same rows. Existing users are never touched (their passwords stay as they are),
and a kabupaten that was imported from real data is never overwritten by the demo.

Other features add their own demo rows (sessions, logs, ...) through DEMO_EXTENSIONS: each module
listed there that exists gets `seed(demo)` with the objects created here.
"""
from __future__ import annotations

import importlib
import random
from types import SimpleNamespace

import click
import sqlalchemy as sa
from flask import current_app

from outreach import demo_data
from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.maps import shapes as map_shapes
from outreach.models import ImportBatch, KnownAway, Kit, Region, Site, TargetCount, Team, User
from outreach.models.regions import ancestors_of, kind_of, level_of

DEMO_EXTENSIONS = ["outreach.planning.demo", "outreach.field.demo", "outreach.requests.demo"]
BATCH_KIND = "demo"


class Tally:
    """Counts of added / updated / unchanged rows for the summary line."""

    def __init__(self):
        self.added = self.updated = self.unchanged = 0

    def assign(self, obj, values: dict, created: bool) -> None:
        changed = False
        for key, value in values.items():
            if getattr(obj, key) != value:
                setattr(obj, key, value)
                changed = True
        if created:
            self.added += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1


def register(app):
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo: Kota Semarang, sites, targets, teams, kits and the demo users (password jemputbola)."""
        if current_app.config.get("PRODUCTION"):
            raise click.ClickException(_(
                "Server ini berjalan dalam mode produksi (JB_ENV=production): seed-demo tidak dijalankan, agar "
                "data dan pengguna demo (dengan kata sandi yang diketahui umum) tidak masuk ke data sebenarnya."))
        try:
            result = seed_demo()
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        if result is None:
            click.echo(f"Wilayah {demo_data.KABUPATEN[0]} sudah berisi data impor (bukan demo); "
                       "seed-demo dilewati agar data tersebut tidak tertimpa.")
            return
        t = result.tally
        click.echo(
            f"Demo {result.kabupaten.nama} siap: {len(result.kecamatan_codes)} kecamatan, "
            f"{len(result.desa_codes)} kelurahan, {len(result.sites)} lokasi, {len(result.teams)} tim, "
            f"{len(result.kits)} kit (baris ditambah {t.added}, diperbarui {t.updated}, tidak berubah {t.unchanged}).")
        click.echo("Pengguna demo: " + ", ".join(result.users) + f" (kata sandi: {demo_data.PASSWORD}).")
        click.echo("Catatan: semua koordinat demo adalah perkiraan; kode kelurahan dan angka-angkanya fiktif.")


def seed_demo(world: demo_data.DemoWorld | None = None) -> SimpleNamespace | None:
    """Create or refresh the demo rows; returns what was built, or None when real data is in the way."""
    world = world or demo_data.build_demo()
    batch = db.session.scalar(sa.select(ImportBatch).where(ImportBatch.kind == BATCH_KIND))
    if batch is None and db.session.get(Region, world.kabupaten.kode) is not None:
        return None
    tally = Tally()
    if batch is None:
        batch = ImportBatch(kind=BATCH_KIND, filename=demo_data.BATCH_FILENAME)
        db.session.add(batch)
        db.session.flush()

    regions = _seed_regions(world, tally)
    _seed_targets(world, batch, tally)
    _seed_known_away(world, tally)
    sites = _seed_sites(world, batch, tally)
    teams, kits = _seed_teams_kits(world, tally)
    users = _seed_users(world, teams, tally)
    if batch.added == 0:
        batch.added = tally.added
    db.session.commit()

    demo = SimpleNamespace(
        world=world,
        provinsi=regions[world.provinsi.kode],
        kabupaten=regions[world.kabupaten.kode],
        kecamatan_codes=[k.kode for k in world.kecamatan],
        desa_codes=[d.kode for d in world.desa],
        coordinator_kecamatan=regions[world.coordinator_kecamatan],
        sites=sites,
        teams=teams,
        kits=kits,
        users=users,
        as_of=demo_data.AS_OF_DATES[-1],
        rng=random.Random(demo_data.SEED + 1),
        tally=tally,
    )
    run_extensions(demo)
    # The sessions and logs just added moved the pools: every open session gets its share of the ledger.
    from outreach.ledger import operations as ledger

    ledger.reallocate(desa_kodes=demo.desa_codes)
    db.session.commit()
    return demo


def run_extensions(demo: SimpleNamespace) -> None:
    """Let later features add demo rows; a listed module that does not exist yet is skipped."""
    for name in DEMO_EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.seed(demo)


def _seed_regions(world, tally: Tally) -> dict:
    latest = {}
    for count in world.counts:
        if count.desa_kode not in latest or count.as_of > latest[count.desa_kode].as_of:
            latest[count.desa_kode] = count
    wanted = [world.provinsi, world.kabupaten, *world.kecamatan, *world.desa]
    existing = {r.kode: r for r in db.session.scalars(
        sa.select(Region).where(Region.kode.in_([r.kode for r in wanted])))}
    for item in wanted:
        region = existing.get(item.kode)
        created = region is None
        if created:
            region = existing[item.kode] = Region(kode=item.kode)
            db.session.add(region)
        parent = ".".join(item.kode.split(".")[:-1]) or None
        values = {"nama": item.nama, "level": level_of(item.kode), "kind": kind_of(item.kode),
                  "parent_kode": parent, "lat": item.lat, "lng": item.lng, **ancestors_of(item.kode)}
        if getattr(item, "boundary", None):
            values.update(boundary=item.boundary, has_boundary=True)
        count = latest.get(item.kode)
        if count is not None:
            values.update(wajib_ktp=count.wajib_ktp, sudah_rekam=count.sudah_rekam, target_as_of=count.as_of)
        tally.assign(region, values, created)
    db.session.flush()
    map_shapes.write_shapes(r.kode for r in wanted if getattr(r, "boundary", None))
    return existing


def _seed_targets(world, batch: ImportBatch, tally: Tally) -> None:
    existing = {(t.desa_kode, t.as_of): t for t in db.session.scalars(
        sa.select(TargetCount).where(TargetCount.source == demo_data.SOURCE, TargetCount.desa_kode.is_not(None)))}
    for count in world.counts:
        row = existing.get((count.desa_kode, count.as_of))
        created = row is None
        if created:
            row = TargetCount(desa_kode=count.desa_kode, as_of=count.as_of, source=demo_data.SOURCE)
            db.session.add(row)
        tally.assign(row, {"wajib_ktp": count.wajib_ktp, "sudah_rekam": count.sudah_rekam,
                           "batch_id": batch.id}, created)


def _seed_known_away(world, tally: Tally) -> None:
    codes = [d.kode for d in world.desa]
    existing = {(a.desa_kode, a.reason): a for a in db.session.scalars(
        sa.select(KnownAway).where(KnownAway.desa_kode.in_(codes)))}
    # Create-only: turnout logs (the field demo, or real use) add to these counts afterwards,
    # and a second seed-demo must not reset what they learned.
    for away in world.away:
        if (away.desa_kode, away.reason) in existing:
            tally.unchanged += 1
            continue
        row = KnownAway(desa_kode=away.desa_kode, reason=away.reason)
        db.session.add(row)
        tally.assign(row, {"count": away.count}, True)


def _seed_sites(world, batch: ImportBatch, tally: Tally) -> list:
    existing = {demo_data.site_key(s): s for s in db.session.scalars(
        sa.select(Site).where(Site.kabupaten_kode == world.kabupaten.kode))}
    sites = []
    for item in world.sites:
        site = existing.get(demo_data.site_key(item))
        created = site is None
        if created:
            site = Site(desa_kode=item.desa_kode, type=item.type, nama=item.nama)
            db.session.add(site)
        anc = ancestors_of(item.desa_kode)
        values = {"address": item.address, "lat": item.lat, "lng": item.lng, "coords_approximate": True,
                  "kecamatan_kode": anc["kecamatan_kode"], "kabupaten_kode": anc["kabupaten_kode"],
                  "provinsi_kode": anc["provinsi_kode"], "rt": item.rt, "rw": item.rw, "npsn": item.npsn,
                  "jenjang": item.jenjang, "school_status": item.school_status,
                  "contact_name": item.contact_name, "contact_phone": item.contact_phone, "notes": item.notes,
                  "active": True}
        if item.pemilih_pemula:
            as_of, students, recorded = item.pemilih_pemula[-1]
            values.update(pemilih_pemula=students, pemilih_pemula_recorded=recorded, pemilih_pemula_as_of=as_of)
        tally.assign(site, values, created)
        sites.append(site)
    db.session.flush()

    school_counts = {(t.site_id, t.as_of): t for t in db.session.scalars(
        sa.select(TargetCount).where(TargetCount.source == demo_data.SOURCE, TargetCount.site_id.is_not(None)))}
    for item, site in zip(world.sites, sites):
        for as_of, students, recorded in item.pemilih_pemula:
            row = school_counts.get((site.id, as_of))
            created = row is None
            if created:
                row = TargetCount(site_id=site.id, as_of=as_of, source=demo_data.SOURCE)
                db.session.add(row)
            tally.assign(row, {"wajib_ktp": students, "sudah_rekam": recorded, "batch_id": batch.id}, created)
    return sites


def _seed_teams_kits(world, tally: Tally) -> tuple[list, list]:
    existing_teams = {t.nama: t for t in db.session.scalars(
        sa.select(Team).where(Team.nama.in_([t.nama for t in world.teams])))}
    teams = []
    for item in world.teams:
        team = existing_teams.get(item.nama)
        created = team is None
        if created:
            team = existing_teams[item.nama] = Team(nama=item.nama)
            db.session.add(team)
        tally.assign(team, {"office_kode": world.kabupaten.kode, "office_lat": item.lat, "office_lng": item.lng,
                            "members": "\n".join(item.members), "phone": item.phone, "active": True}, created)
        teams.append(team)
    db.session.flush()

    existing_kits = {k.code: k for k in db.session.scalars(
        sa.select(Kit).where(Kit.code.in_([k.code for k in world.kits])))}
    kits = []
    for item in world.kits:
        kit = existing_kits.get(item.code)
        created = kit is None
        if created:
            kit = Kit(code=item.code)
            db.session.add(kit)
        team_id = existing_teams[item.team].id if item.team else None
        tally.assign(kit, {"status": item.status, "office_kode": world.kabupaten.kode, "team_id": team_id,
                           "notes": item.notes}, created)
        kits.append(kit)
    db.session.flush()
    return teams, kits


def _seed_users(world, teams: list, tally: Tally) -> dict:
    """Create the demo users that do not exist yet; existing accounts keep their password and settings."""
    by_name = {t.nama: t for t in teams}
    existing = {u.username: u for u in db.session.scalars(
        sa.select(User).where(User.username.in_([u.username for u in world.users])))}
    users = {}
    for item in world.users:
        user = existing.get(item.username)
        if user is None:
            user = User(username=item.username, name=item.name, role=item.role, scope_kode=item.scope_kode,
                        team=by_name.get(item.team) if item.team else None)
            user.set_password(demo_data.PASSWORD)
            db.session.add(user)
            tally.added += 1
        else:
            tally.unchanged += 1
        users[item.username] = user
    db.session.flush()
    return users
