"""The web login: a generic answer whatever went wrong (no user-name enumeration), sessions that
end when the password changes or the user is deactivated, and the password policy."""
from flask import current_app
from sqlalchemy import select

from app.core.org import User
from app.extensions import db
from app.security.passwords import check_password_policy
from tests.factories import PASSWORD, make_user
from tests.security.signin import GENERIC_FAILURE, client, english, flashed, post_login, refresh


def test_right_password_signs_in_and_returns_to_the_page_asked_for(app, org):
    c = client(app)
    resp = c.get("/notifications/")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    resp = post_login(c, org.east_rep.username, next_url="/notifications/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/notifications/")
    assert c.get("/notifications/").status_code == 200


def test_login_by_e_mail_address_works_too(app, org):
    c = client(app)
    assert post_login(c, org.east_rep.email).status_code == 302
    assert c.get("/notifications/").status_code == 200


def test_unknown_user_wrong_password_and_deactivated_user_get_the_same_answer(app, org, monkeypatch):
    import app.security.auth as auth

    checks = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: checks.append(h) or real(h, p))
    inactive = make_user("Sales", org.east)
    inactive.active = False
    db.session.commit()
    answers = []
    for username, password in [("nobody-" + org.east_rep.username, PASSWORD), (org.east_rep.username, "Wrong-pass-1"),
                               (inactive.username, PASSWORD)]:
        c = client(app)
        checks.clear()
        resp = post_login(c, username, password)
        answers.append((resp.status_code, resp.headers["Location"], flashed(c)))
        # One password hash is checked whatever the case, so the timing does not tell either.
        assert len(checks) == 1, username
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 302 and "/login/" in answers[0][1]
    assert answers[0][2] == [GENERIC_FAILURE]
    # The page the visitor is sent back to is the plain login page, the same in every case.
    pages = {client(app).get(a[1]).get_data(as_text=True).count("name=\"login\"") for a in answers}
    assert pages == {1}


def test_unknown_user_costs_a_hash_made_with_the_configured_method(app, org, monkeypatch):
    import app.security.auth as auth

    seen = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: seen.append(h.split("$")[0]) or real(h, p))
    post_login(client(app), "no-such-user-at-all")
    post_login(client(app), org.east_rep.username, "Wrong-pass-1")
    assert seen[0] == seen[1] == current_app.config["FAB_PASSWORD_HASH_METHOD"]


def test_changing_ones_password_signs_out_other_sessions_but_not_this_one(app, org):
    user = make_user("Sales", org.east)
    here, elsewhere = client(app), client(app)
    assert post_login(here, user.username).status_code == 302
    assert post_login(elsewhere, user.username).status_code == 302
    assert elsewhere.get("/notifications/").status_code == 200
    resp = here.post("/resetmypassword/form", data={"password": "Neues-Pass7", "conf_password": "Neues-Pass7"})
    assert resp.status_code == 302
    assert here.get("/notifications/").status_code == 200
    resp = elsewhere.get("/notifications/")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    assert any("password of this account was changed" in m for m in flashed(elsewhere))
    # The new password works; the old one does not.
    assert post_login(client(app), user.username, "Neues-Pass7").headers["Location"].endswith("/")
    assert "/login/" in post_login(client(app), user.username, PASSWORD).headers["Location"]


def test_deactivating_a_user_ends_their_session(app, org):
    user = make_user("Sales", org.east)
    c = client(app)
    post_login(c, user.username)
    assert c.get("/notifications/").status_code == 200
    admin = _signed_in(app, org.admin)
    resp = admin.post(f"/users/edit/{user.id}", data={
        "first_name": user.first_name, "last_name": user.last_name, "username": user.username,
        "email": user.email, "roles": [str(r.id) for r in user.roles], "active": ""})
    assert resp.status_code == 302
    refresh()
    assert db.session.get(User, user.id).active is False
    resp = c.get("/notifications/")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]


def test_password_policy_names_every_problem(app):
    with english(app):
        assert check_password_policy("Kq7#mZ2p!x", "lina") == []
        short = check_password_policy("ab1", "lina")
        assert any("at least 8" in m for m in short)
        assert check_password_policy("woaini1314", "lina") and any("common" in m for m in check_password_policy("woaini1314"))
        assert any("common" in m for m in check_password_policy("QQ123456"))
        assert any("user name" in m for m in check_password_policy("zhangwei2024x", "zhangwei"))
        assert any("letters and digits" in m for m in check_password_policy("onlyletterslong", "lina"))
        assert any("letters and digits" in m for m in check_password_policy("2024061899", "lina"))


def _signed_in(app, user):
    c = client(app)
    assert post_login(c, user.username).status_code == 302
    return c


def test_admin_cannot_give_a_new_user_a_weak_password(app, org):
    admin = _signed_in(app, org.admin)
    role = current_app.appbuilder.sm.find_role("Sales")
    for weak in ("5201314", "88888888", "a123456"):
        name = f"weak{weak}{org.east.id}"
        resp = admin.post("/users/add", data={
            "first_name": "测", "last_name": "试", "username": name, "email": f"{name}@example.com",
            "active": "y", "roles": [str(role.id)], "password": weak, "conf_password": weak})
        assert resp.status_code == 200, weak
        refresh()
        assert db.session.scalar(select(User).where(User.username == name)) is None
    good = f"good{org.east.id}x"
    resp = admin.post("/users/add", data={
        "first_name": "测", "last_name": "试", "username": good, "email": f"{good}@example.com",
        "active": "y", "roles": [str(role.id)], "password": "Lu7-zhou-Qiao", "conf_password": "Lu7-zhou-Qiao"})
    assert resp.status_code == 302
    refresh()
    assert db.session.scalar(select(User).where(User.username == good)) is not None


def test_reset_password_forms_refuse_the_user_name_and_common_passwords(app, org):
    user = make_user("Sales", org.east)
    own = _signed_in(app, user)
    resp = own.post("/resetmypassword/form", data={"password": user.username + "99", "conf_password": user.username + "99"})
    assert resp.status_code == 200 and "user name" in resp.get_data(as_text=True)
    admin = _signed_in(app, org.admin)
    resp = admin.post(f"/resetpassword/form?pk={user.id}", data={"password": "password123", "conf_password": "password123"})
    assert resp.status_code == 200 and "common" in resp.get_data(as_text=True)
    # Nothing changed: the old password still signs in.
    assert post_login(client(app), user.username).headers["Location"].endswith("/")
