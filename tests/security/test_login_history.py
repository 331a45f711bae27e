"""The login history: every attempt with time, address, browser, outcome, reason and factor;
each user sees their own, administrators everyone's."""
from tests.factories import make_user
from tests.security.signin import attempts_of, client, clock, enrol_totp, post_login, totp_now, unique_ip  # noqa: F401


def test_success_and_failure_are_recorded_with_address_browser_and_factor(app, org, clock):
    user = make_user("Sales", org.east)
    ip = unique_ip()
    c = client(app, ip=ip, user_agent="Mozilla/5.0 (Windows NT 10.0) 测试浏览器")
    post_login(c, user.username, "Wrong-pass-1")
    post_login(c, user.username)
    c.post("/api/v1/security/login", json={"username": user.username, "password": "Passw0rd!", "provider": "db"})
    rows = attempts_of(user.username)
    assert [(r.success, r.reason, r.factor, r.channel) for r in rows] == [
        (False, "wrong_password", "password", "web"), (True, None, "password", "web"), (True, None, "password", "api")]
    assert all(r.user_id == user.id and r.ip == ip and "测试浏览器" in r.user_agent for r in rows)
    assert rows[0].at <= rows[1].at and abs((rows[1].at - clock.now).total_seconds()) < 1


def test_unknown_user_names_are_recorded_without_a_user(app, ctx):
    name = f"no-such-{unique_ip()}"
    post_login(client(app), name, "whatever-1")
    rows = attempts_of(name)
    assert [(r.user_id, r.success, r.reason) for r in rows] == [(None, False, "unknown_user")]


def test_second_factor_attempts_name_the_factor(app, org, clock):
    user = make_user("Sales", org.east)
    web = client(app)
    post_login(web, user.username)
    secret, _codes = enrol_totp(web, clock)
    clock.advance(seconds=30)
    c = client(app)
    post_login(c, user.username)
    c.post("/login/verify", data={"method": "totp", "code": "000000" if totp_now(secret, clock.now) != "000000" else "111111"})
    c.post("/login/verify", data={"method": "totp", "code": totp_now(secret, clock.now)})
    rows = attempts_of(user.username)
    assert [(r.success, r.reason, r.factor) for r in rows][-2:] == [(False, "bad_code", "totp"), (True, None, "totp")]


def test_each_user_sees_their_own_history_only(app, org):
    me, other = make_user("Sales", org.east), make_user("Sales", org.east)
    mine, theirs = unique_ip(), unique_ip()
    post_login(client(app, ip=theirs), other.username)
    post_login(client(app, ip=mine), me.username, "Wrong-pass-1")
    c = client(app, ip=mine)
    post_login(c, me.username)
    page = c.get("/my-login-history/").get_data(as_text=True)
    assert page.count(mine) == 2 and theirs not in page
    assert "Wrong password" in page and "Succeeded" in page and "Failed" in page


def test_admins_search_everyones_history_and_others_may_not(app, org):
    user = make_user("Sales", org.east)
    ip = unique_ip()
    post_login(client(app, ip=ip), user.username, "Wrong-pass-1")
    admin = client(app)
    post_login(admin, org.admin.username)
    page = admin.get(f"/login_history/list/?_flt_0_username={user.username}").get_data(as_text=True)
    assert ip in page and "Wrong password" in page
    assert "Wrong password" not in admin.get(f"/login_history/list/?_flt_0_username=nobody-{ip}").get_data(as_text=True)
    sales = client(app)
    post_login(sales, org.east_rep.username)
    resp = sales.get("/login_history/list/")
    assert resp.status_code in (302, 403) and ip not in resp.get_data(as_text=True)
