"""Every user, whatever their role, opens and edits their own profile, changes their password and
signs out everywhere from it; the permissions for that are given to every role by the role sync."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.org import User
from app.extensions import db
from app.security.manager import BASELINE, read_matrix
from tests.factories import make_user
from tests.security.signin import client, post_login, refresh

ROLES = sorted({row["role"] for row in read_matrix()} - {"Admin"})


def signed_in(app, user):
    c = client(app)
    assert post_login(c, user.username).status_code == 302
    return c


def test_every_permission_every_role_is_given_exists(app, ctx):
    sm = app.appbuilder.sm
    missing = [pair for pair in BASELINE if sm.find_permission_view_menu(*pair) is None]
    assert not missing, f"names that match no permission (renamed views?): {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_its_own_profile(app, org, role):
    user = make_user(role, org.east)
    page = signed_in(app, user).get("/users/userinfo/")
    assert page.status_code == 200, role
    html = page.get_data(as_text=True)
    assert user.username in html and user.email in html
    for action in ("resetmypassword", "userinfoedit", "signout_mine"):
        assert f"/users/action/{action}/{user.id}" in html, (role, action)


def test_a_sales_user_edits_their_own_name(app, org):
    user = make_user("Sales", org.east)
    c = signed_in(app, user)
    resp = c.post(f"/users/action/userinfoedit/{user.id}")
    assert resp.status_code == 302
    form_url = resp.headers["Location"]
    assert c.get(form_url).status_code == 200
    resp = c.post(form_url, data={"first_name": "娜娜", "last_name": "李"})
    assert resp.status_code == 302
    refresh()
    changed = db.session.get(User, user.id)
    assert (changed.first_name, changed.last_name) == ("娜娜", "李")
    assert "娜娜" in c.get("/users/userinfo/").get_data(as_text=True)


def test_a_sales_user_changes_their_password_from_the_profile(app, org):
    user = make_user("Sales", org.east)
    c = signed_in(app, user)
    resp = c.post(f"/users/action/resetmypassword/{user.id}")
    assert resp.status_code == 302
    form_url = resp.headers["Location"]
    assert c.get(form_url).status_code == 200
    assert c.post(form_url, data={"password": "Neues-Pass7", "conf_password": "Neues-Pass7"}).status_code == 302
    assert c.get("/users/userinfo/").status_code == 200, "this session stays signed in"
    assert post_login(client(app), user.username, "Neues-Pass7").headers["Location"].endswith("/")


def test_a_sales_user_edits_only_themselves(app, org):
    user, other = make_user("Sales", org.east), make_user("Sales", org.east)
    c = signed_in(app, user)
    # The user list and others' records stay closed; the profile actions act on oneself.
    assert c.get("/users/list/").status_code == 403
    assert c.get(f"/users/show/{other.id}").status_code == 403
    assert c.get(f"/users/edit/{other.id}").status_code == 403
    resp = c.post(f"/users/action/userinfoedit/{other.id}")
    c.post(resp.headers["Location"], data={"first_name": "改名", "last_name": "测试"})
    refresh()
    assert db.session.scalar(select(User.first_name).where(User.id == other.id)) != "改名"
    assert db.session.scalar(select(User.first_name).where(User.id == user.id)) == "改名"
