"""The planner ("Usulan jadwal") is in the main menu of those who plan, and only theirs."""
import pytest


@pytest.mark.parametrize("role,shown", [("coordinator", True), ("admin", True), ("manager", False),
                                        ("field", False)])
def test_planner_is_in_the_menu_of_planners(client, login_as, role, shown):
    login_as(role)
    page = client.get("/jadwal-saya" if role == "field" else "/").get_data(as_text=True)
    assert ('href="/usulan-jadwal"' in page) is shown
