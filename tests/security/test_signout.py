"""Signing out ends the session on the server: a copy of the cookie is worth nothing afterwards;
every sign-in (and the second factor) gets a new session id; and a user, or an admin for a
user, signs out everywhere: every browser, API token and remembered device."""
from __future__ import annotations

from app.security import browser_sessions
from tests.factories import PASSWORD, make_user
from tests.security.signin import client, clock, enrol_totp, flashed, post_login, totp_now  # noqa: F401

PAGE = "/notifications/"


def cookie_of(c) -> str | None:
    cookie = c.get_cookie("session")
    return cookie.value if cookie is not None else None


def session_of(app, value) -> dict:
    """What a session cookie holds (it is signed, not encrypted)."""
    return dict(app.session_interface.get_signing_serializer(app).loads(value)) if value else {}


def with_cookie(app, value):
    """Another browser holding a copy of that session cookie."""
    thief = client(app)
    thief.set_cookie("session", value)
    return thief


def opens(c, url=PAGE) -> bool:
    resp = c.get(url)
    assert resp.status_code in (200, 302), resp.status_code
    return resp.status_code == 200


def signed_in(app, user):
    c = client(app)
    assert post_login(c, user.username).status_code == 302
    assert opens(c)
    return c


def test_a_copy_of_the_session_cookie_taken_before_logout_opens_nothing_afterwards(app, org):
    c = signed_in(app, org.east_rep)
    copy = cookie_of(c)
    assert opens(with_cookie(app, copy)), "before logout the copy is the same session"

    resp = c.get("/logout/")
    assert resp.status_code == 302
    assert not opens(c)
    thief = with_cookie(app, copy)
    resp = thief.get(PAGE)
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    assert not opens(thief)


def test_logout_ends_this_browser_only(app, org):
    user = make_user("Sales", org.east)
    here, elsewhere = signed_in(app, user), signed_in(app, user)
    here.get("/logout/")
    assert not opens(here) and opens(elsewhere)


def test_logout_keeps_the_chosen_language(app, org):
    c = signed_in(app, org.east_rep)
    c.get("/logout/")
    with c.session_transaction() as sess:
        assert sess.get("locale") == "en" and "_user_id" not in sess and browser_sessions.SESSION_ID not in sess


def test_each_sign_in_gets_a_new_session_id_and_ends_the_one_before(app, org):
    c = client(app)
    c.get("/login/")
    before_login = cookie_of(c)
    assert browser_sessions.SESSION_ID not in session_of(app, before_login)
    post_login(c, org.east_rep.username)
    first = cookie_of(c)
    first_id = session_of(app, first)[browser_sessions.SESSION_ID]
    assert first_id
    # Signing in again in the same browser (say, as someone else) mints another id.
    post_login(c, org.south_rep.username)
    second_id = session_of(app, cookie_of(c))[browser_sessions.SESSION_ID]
    assert second_id and second_id != first_id
    assert not opens(with_cookie(app, first)), "the earlier session ended"
    assert not opens(with_cookie(app, before_login))
    assert opens(c)


def test_a_cookie_planted_before_login_is_not_the_one_used_after(app, org):
    """Session fixation: someone slips their own (signed-in) cookie into the victim's browser;
    the victim's sign-in replaces it, and the planted copy is signed out."""
    attacker = signed_in(app, org.south_rep)
    planted = cookie_of(attacker)
    victim = with_cookie(app, planted)
    post_login(victim, org.east_rep.username)
    assert session_of(app, cookie_of(victim))[browser_sessions.SESSION_ID] != \
        session_of(app, planted)[browser_sessions.SESSION_ID]
    assert not opens(with_cookie(app, planted))
    page = victim.get("/users/userinfo/").get_data(as_text=True)
    assert org.east_rep.username in page


def test_the_session_id_changes_at_the_second_factor(app, org, clock):
    user = make_user("Sales", org.east)
    setup = signed_in(app, user)
    secret, _codes = enrol_totp(setup, clock)
    clock.advance(seconds=30)

    c = client(app)
    c.get("/login/")
    before = cookie_of(c)
    resp = post_login(c, user.username)
    assert resp.headers["Location"].endswith("/login/verify")
    half_way = cookie_of(c)
    assert browser_sessions.SESSION_ID not in session_of(app, half_way)
    assert not opens(with_cookie(app, half_way)), "a password alone opens nothing"
    resp = c.post("/login/verify", data={"code": totp_now(secret, clock.now)})
    assert resp.status_code == 302
    after = session_of(app, cookie_of(c))
    assert after[browser_sessions.SESSION_ID] and "zwt_pending" not in after
    assert opens(c)
    for earlier in (before, half_way):
        assert not opens(with_cookie(app, earlier))


def _api_tokens(c, user):
    resp = c.post("/api/v1/security/login", json={"username": user.username, "password": PASSWORD,
                                                  "provider": "db", "refresh": True})
    assert resp.status_code == 200
    return resp.get_json()


def _api_works(c, token) -> bool:
    resp = c.get("/api/v1/customers/", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code in (200, 401), resp.status_code
    return resp.status_code == 200


def test_a_user_signs_out_everywhere_from_the_profile(app, org):
    user = make_user("Sales", org.east)
    here, laptop, phone = signed_in(app, user), signed_in(app, user), signed_in(app, user)
    tokens = _api_tokens(client(app), user)
    assert _api_works(client(app), tokens["access_token"])
    assert browser_sessions.count(user.id) == 3

    profile = here.get("/users/userinfo/").get_data(as_text=True)
    action = f"/users/action/signout_mine/{user.id}"
    assert action in profile
    resp = here.post(action)
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    assert any("signed out on all devices" in m for m in flashed(here))
    for browser in (here, laptop, phone):
        assert not opens(browser)
    api = client(app)
    assert not _api_works(api, tokens["access_token"])
    assert api.post("/api/v1/security/refresh",
                    headers={"Authorization": f"Bearer {tokens['refresh_token']}"}).status_code == 401
    assert browser_sessions.count(user.id) == 0
    # Signing in again works as usual.
    assert opens(signed_in(app, user))


def test_signing_out_everywhere_touches_no_one_else(app, org):
    user, other = make_user("Sales", org.east), make_user("Sales", org.east)
    mine, theirs = signed_in(app, user), signed_in(app, other)
    # The action acts on whoever is signed in, whichever record the address names.
    mine.post(f"/users/action/signout_mine/{other.id}")
    assert opens(theirs) and not opens(mine)
    # A sales user may not use the admins' action, on the list or on a record.
    mine = signed_in(app, user)
    mine.post("/users/action_post", data={"action": "signout_everywhere", "rowid": [str(other.id)]})
    mine.post(f"/users/action/signout_everywhere/{other.id}")
    assert opens(theirs) and opens(mine)


def test_an_admin_signs_a_user_out_everywhere_from_the_user_list_and_page(app, org):
    user, bystander = make_user("Sales", org.east), make_user("Sales", org.east)
    browser, other = signed_in(app, user), signed_in(app, bystander)
    tokens = _api_tokens(client(app), user)
    admin = signed_in(app, org.admin)
    assert f"/users/action/signout_everywhere/{user.id}" in admin.get(f"/users/show/{user.id}").get_data(as_text=True)
    assert 'value="signout_everywhere"' in admin.get("/users/list/").get_data(as_text=True) or \
        "signout_everywhere" in admin.get("/users/list/").get_data(as_text=True)

    resp = admin.post("/users/action_post", data={"action": "signout_everywhere", "rowid": [str(user.id)]})
    assert resp.status_code == 302
    assert not opens(browser) and not _api_works(client(app), tokens["access_token"])
    assert opens(other) and opens(admin), "only the chosen user is signed out"

    browser = signed_in(app, user)
    assert admin.post(f"/users/action/signout_everywhere/{user.id}").status_code == 302
    assert not opens(browser) and opens(admin)


def test_signing_out_everywhere_forgets_remembered_devices(app, org, clock):
    user = make_user("Sales", org.east)
    secret, _codes = enrol_totp(signed_in(app, user), clock)
    clock.advance(seconds=30)
    c = client(app)
    post_login(c, user.username)
    c.post("/login/verify", data={"method": "totp", "code": totp_now(secret, clock.now), "remember": "1"})
    c.get("/logout/")
    assert post_login(c, user.username).headers["Location"].endswith("/"), "the device is remembered"
    c.post(f"/users/action/signout_mine/{user.id}")
    assert post_login(c, user.username).headers["Location"].endswith("/login/verify")


def test_unknown_user_actions_are_404_not_500(app, org):
    admin = signed_in(app, org.admin)
    assert admin.post(f"/users/action/no_such_action/{org.east_rep.id}").status_code == 404
    assert admin.post("/users/action_post", data={"action": "no_such_action", "rowid": ["1"]}).status_code == 404
