"""The JWT login: users with two-factor authentication need the second step (the password alone
gets no token), refresh tokens work, and tokens stop working when the user is deactivated or
changes their password."""
import re

from flask import current_app
from sqlalchemy import select

from app.core.notify import MailMessage
from app.core.org import User
from app.extensions import db
from app.security import mfa
from tests.factories import PASSWORD, make_user
from tests.security.signin import attempts_of, client, clock, enrol_totp, post_login, refresh, totp_now  # noqa: F401

LOGIN = "/api/v1/security/login"


def _login(c, username, password=PASSWORD, refresh_token=True):
    return c.post(LOGIN, json={"username": username, "password": password, "provider": "db", "refresh": refresh_token})


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _works(c, access_token) -> bool:
    resp = c.get("/api/v1/customers/", headers=_bearer(access_token))
    assert resp.status_code in (200, 401), resp.status_code
    return resp.status_code == 200


def _totp_user(app, org, clock):
    user = make_user("Sales", org.east)
    web = client(app)
    post_login(web, user.username)
    secret, codes = enrol_totp(web, clock)
    clock.advance(seconds=30)
    return user, secret, codes


def test_password_login_and_refresh(app, org):
    c = client(app)
    resp = _login(c, org.east_rep.username)
    assert resp.status_code == 200
    tokens = resp.get_json()
    assert _works(c, tokens["access_token"])
    resp = c.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"]))
    assert resp.status_code == 200 and _works(c, resp.get_json()["access_token"])


def test_wrong_password_and_unknown_user_get_the_same_401(app, org):
    c = client(app)
    wrong, unknown = _login(c, org.east_rep.username, "Wrong-pass-1"), _login(c, "nobody-" + org.east_rep.username)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_a_user_with_2fa_gets_no_token_for_the_password_alone(app, org, clock):
    user, secret, _codes = _totp_user(app, org, clock)
    c = client(app)
    resp = _login(c, user.username)
    body = resp.get_json()
    assert resp.status_code == 401 and body["mfa_required"] is True and "access_token" not in body
    assert body["methods"][0] == "totp"
    # The mfa_token is no bearer token.
    assert c.get("/api/v1/customers/", headers=_bearer(body["mfa_token"])).status_code in (401, 422)
    wrong = c.post(f"{LOGIN}/mfa", json={"mfa_token": body["mfa_token"], "code": "000000"})
    assert wrong.status_code == 401 and "access_token" not in wrong.get_json()
    resp = c.post(f"{LOGIN}/mfa", json={"mfa_token": body["mfa_token"], "code": totp_now(secret, clock.now)})
    assert resp.status_code == 200
    tokens = resp.get_json()
    assert _works(c, tokens["access_token"])
    refreshed = c.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 200 and _works(c, refreshed.get_json()["access_token"])
    factors = [(a.success, a.factor, a.channel) for a in attempts_of(user.username) if a.channel == "api"]
    assert factors == [(False, "totp", "api"), (True, "totp", "api")]


def test_the_second_step_by_e_mail_code_and_by_recovery_code(app, org, clock):
    user, _secret, codes = _totp_user(app, org, clock)
    c = client(app)
    token = _login(c, user.username).get_json()["mfa_token"]
    sent = c.post(f"{LOGIN}/mfa/send", json={"mfa_token": token, "method": "email"})
    assert sent.status_code == 200 and "***@" in sent.get_json()["code_sent_to"]
    refresh()
    mail = db.session.scalars(select(MailMessage).where(MailMessage.to == user.email).order_by(MailMessage.id.desc())).first()
    code = re.search(r"\b(\d{6})\b", mail.body).group(1)
    assert c.post(f"{LOGIN}/mfa", json={"mfa_token": token, "method": "email", "code": code}).status_code == 200
    assert c.post(f"{LOGIN}/mfa", json={"mfa_token": token, "method": "recovery", "code": codes[0]}).status_code == 200
    assert c.post(f"{LOGIN}/mfa", json={"mfa_token": token, "method": "recovery", "code": codes[0]}).status_code == 401
    assert c.post(f"{LOGIN}/mfa", json={"mfa_token": token, "method": "sms", "code": "123456"}).status_code == 400


def test_an_mfa_token_expires_and_cannot_be_forged(app, org, clock):
    user, secret, _codes = _totp_user(app, org, clock)
    c = client(app)
    token = _login(c, user.username).get_json()["mfa_token"]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert c.post(f"{LOGIN}/mfa", json={"mfa_token": forged, "code": totp_now(secret, clock.now)}).status_code == 401
    clock.advance(minutes=app.config["MFA_PENDING_MINUTES"], seconds=1)
    assert c.post(f"{LOGIN}/mfa", json={"mfa_token": token, "code": totp_now(secret, clock.now)}).status_code == 401


def test_a_role_requiring_2fa_refuses_the_api_until_enrolled(app, org):
    role = current_app.appbuilder.sm.find_role("Warehouse")
    mfa.set_required_roles(org.admin, {role.id})
    try:
        user = make_user("Warehouse", org.east)
        resp = _login(client(app), user.username)
        assert resp.status_code == 401 and resp.get_json()["mfa_enrolment_required"] is True
        assert "access_token" not in resp.get_json()
    finally:
        mfa.set_required_roles(org.admin, set())


def test_tokens_are_refused_after_deactivation(app, org):
    user = make_user("Sales", org.east)
    c = client(app)
    tokens = _login(c, user.username).get_json()
    assert _works(c, tokens["access_token"])
    refresh()
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert not _works(c, tokens["access_token"])
    assert c.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"])).status_code == 401
    # Reactivated, the old tokens stay dead: the stamp changed.
    db.session.get(User, user.id).active = True
    db.session.commit()
    assert not _works(c, tokens["access_token"])
    assert _works(c, _login(c, user.username).get_json()["access_token"])


def test_tokens_are_refused_after_a_password_change(app, org):
    user = make_user("Sales", org.east)
    c = client(app)
    tokens = _login(c, user.username).get_json()
    assert _works(c, tokens["access_token"])
    current_app.appbuilder.sm.reset_password(user.id, "Brand-new-pass7")
    resp = c.get("/api/v1/customers/", headers=_bearer(tokens["access_token"]))
    assert resp.status_code == 401 and "log in again" in resp.get_json()["message"]
    assert c.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"])).status_code == 401
    assert _login(c, user.username).status_code == 401
    assert _works(c, _login(c, user.username, "Brand-new-pass7").get_json()["access_token"])


def test_api_logins_count_towards_lockout(app, org, clock):
    user = make_user("Sales", org.east)
    c = client(app)
    for _n in range(5):
        assert _login(c, user.username, "Wrong-pass-1").status_code == 401
    assert _login(c, user.username).status_code == 401
    clock.advance(minutes=16)
    assert _login(c, user.username).status_code == 200


def test_guessing_codes_on_the_api_gets_429(app, org, clock):
    user, _secret, _codes = _totp_user(app, org, clock)
    c = client(app)
    token = _login(c, user.username).get_json()["mfa_token"]
    statuses = [c.post(f"{LOGIN}/mfa", json={"mfa_token": token, "code": f"{n:06d}"}).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
