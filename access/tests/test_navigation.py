"""The navigation shows each role the areas it may use, and marks the current one."""

import pytest

from access.models import Role

pytestmark = pytest.mark.django_db


def nav(client):
    body = client.get("/accounts/").content.decode()
    return body.split('<nav aria-label="Main">')[1].split("</nav>")[0]


@pytest.mark.parametrize(
    "role,shown,hidden",
    [
        (Role.CASEWORKER, ["Cases", "Graves", "Aid", "Reports", "Exports"], ["Audit trail"]),
        (Role.AUDITOR, ["Audit trail"], ["Cases", "Graves", "Aid", "Reports", "Exports"]),
        (Role.ANALYST, ["Reports", "Exports"], ["Cases", "Graves", "Aid", "Audit trail"]),
        (Role.AID_OFFICER, ["Cases", "Aid"], ["Graves", "Audit trail"]),
        (Role.FORENSIC, ["Cases", "Graves", "Reports"], ["Aid", "Audit trail"]),
    ],
)
def test_each_role_sees_the_areas_it_may_use(client, web_user, web_login, role, shown, hidden):
    web_login(web_user(f"nav-{role}", role, "DHK"))
    links = nav(client)
    for label in shown:
        assert f">{label}</a>" in links, label
    for label in hidden:
        assert f">{label}</a>" not in links, label


def test_the_current_area_is_marked(client, web_user, web_login):
    web_login(web_user("nav-cw", Role.CASEWORKER, "DHK"))
    body = client.get("/cases/list/").content.decode()
    assert '<a href="/cases/list/" aria-current="page">' in body
    assert '<a href="/cases/" aria-current="page">' not in body
