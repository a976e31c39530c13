"""outreach.admin.service called directly: the rules without the pages."""
import ast
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach.admin import service
from outreach.extensions import db
from outreach.models import AuditEntry, User
from tests import builders


def test_service_imports_nothing_from_flask():
    tree = ast.parse(Path(service.__file__).read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in modules if m and (m == "flask" or m.startswith("flask."))}


@pytest.mark.parametrize("role,scope,team,problem", [
    ("admin", None, None, None),
    ("coordinator", "33.74.01", None, None),
    ("coordinator", "33.74", None, "Koordinator"),
    ("coordinator", None, None, "Koordinator"),
    ("manager", "33", None, None),
    ("manager", "33.74", None, None),
    ("manager", "33.74.01", None, "Manajer"),
    ("field", None, object(), None),
    ("field", "33.74", None, "tim lapangan"),
])
def test_validate_scope(role, scope, team, problem):
    message = service.validate_scope(role, scope, team)
    if problem is None:
        assert message is None
    else:
        assert problem in message


@pytest.mark.parametrize("raw,expected", [
    ("-6.99", (-6.99, True)), ("-6,99", (-6.99, True)), ("\u22126.5", (-6.5, True)), ("", (None, True)),
    (None, (None, True)), ("abc", (None, False)), ("nan", (None, False)), ("1,234.5", (None, False)),
])
def test_parse_float(raw, expected):
    assert service._parse_float(raw) == expected


def test_create_and_update_user_directly(world):
    admin = world.users["admin"]
    user = service.create_user(service.UserData(username="manajer_prov", role="manager", scope_kode="33"),
                               "sandi-rahasia-1", admin.id)
    assert user.id and user.scope_kode == "33"
    with pytest.raises(service.Invalid) as exc:
        service.update_user(user, service.UserData(username="manajer_prov", role="coordinator", scope_kode="33"),
                            admin.id)
    assert list(exc.value.errors) == ["scope_kode"]
    assert exc.value.errors["scope_kode"][0].msgid.startswith("Koordinator wajib")
    changes = service.update_user(user, service.UserData(username="manajer_prov", role="manager", scope_kode="33.74",
                                                         name="Pak Manajer"), admin.id)
    assert changes == {"scope_kode": ["33", "33.74"], "name": ["", "Pak Manajer"]}
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity_id == str(user.id))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["create", "update"]


def test_messages_carry_parameters(world):
    with pytest.raises(service.Invalid) as exc:
        service.create_user(service.UserData(username="baru", role="admin", scope_kode="99"), "pendek", None)
    errors = exc.value.errors
    assert errors["scope_kode"][0] == service.Message("Kode wilayah %(kode)s tidak ditemukan.", {"kode": "99"})
    assert errors["password"][0].params == {"min": 12}  # an admin's password: outreach.auth.passwords
    assert db.session.scalar(sa.select(User).where(User.username == "baru")) is None


def test_overview_counts(world):
    data = service.overview(world.users["admin"])
    assert data["users_total"] == 4 and data["users_by_role"]["field"] == 1
    assert data["kits_by_status"] == {"ok": 1, "rusak": 0, "servis": 0}
    assert data["regions_by_level"]["desa"] == 4 and data["sites_total"] == 3
    assert data["teams_total"] == 1 and data["teams_active"] == 1


def test_overview_of_a_scoped_admin_counts_its_area_only(world):
    other_team = builders.make_team("33.01", "Tim Lain")
    builders.make_kit(other_team, "KIT-LAIN")
    builders.make_user("coordinator", "koord_lain", scope="33.01.01")
    kota = builders.make_user("admin", "admin_kota", scope="33.74")
    db.session.commit()
    service.reset_password(world.users["manager"], "merah-putih-2045", world.users["admin"].id)
    data = service.overview(kota)
    assert data["users_total"] == 4  # manager, coordinator, field (team 33.74) and itself
    assert data["teams_total"] == 1 and data["kits_total"] == 1
    assert data["regions_by_level"]["desa"] == 3 and data["sites_total"] == 2
    assert data["recent_changes"] == []  # the national admin's change is not its business
    assert [e.action for e in service.overview(world.users["admin"])["recent_changes"]] == ["reset_password"]


def test_cli_create_user_uses_the_same_scope_rule(runner, world):
    result = runner.invoke(args=["create-user", "koord_cli", "--role", "coordinator", "--scope", "33.74",
                                 "--password", "sandi-rahasia-1"])
    assert result.exit_code != 0 and "Koordinator wajib memiliki cakupan satu kecamatan" in result.output
    result = runner.invoke(args=["create-user", "koord_cli", "--role", "coordinator", "--scope", "33.74.01",
                                 "--password", "sandi-rahasia-1"])
    assert result.exit_code == 0, result.output
