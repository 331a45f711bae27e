"""Two-factor authentication on the web: TOTP enrolment with a locally drawn QR code, login with
TOTP or a recovery code (once), codes by e-mail and SMS (10 minutes, 5 tries), roles that
require 2FA, remembered devices, and the SMS provider interface."""
import re

import pytest
from flask import current_app
from sqlalchemy import select

from app.core.notify import MailMessage
from app.core.transaction import unit_of_work
from app.extensions import db
from app.security import mfa
from app.security.models import OneTimeCode, RecoveryCode, UserSecurity
from app.security.sms import SmsMessage, SmsProvider, deliver_sms, send_sms
from tests.factories import PASSWORD, make_user
from tests.security.signin import (attempts_of, client, clock, enrol_totp, flashed, post_login, refresh,  # noqa: F401
                                   totp_now, unique_ip)


def _signed_in(app, user):
    c = client(app)
    resp = post_login(c, user.username)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/"), resp.headers["Location"]
    return c


def _totp_user(app, org, clock, role="Sales"):
    user = make_user(role, org.east)
    c = _signed_in(app, user)
    secret, codes = enrol_totp(c, clock)
    clock.advance(seconds=30)
    return user, secret, codes


def _last_code_mailed_to(address):
    refresh()
    mail = db.session.scalars(select(MailMessage).where(MailMessage.to == address).order_by(MailMessage.id.desc())).first()
    return re.search(r"\b(\d{6})\b", mail.body).group(1)


def test_enrolment_page_draws_the_qr_code_here_and_shows_the_key(app, org, clock):
    user = make_user("Sales", org.east)
    c = _signed_in(app, user)
    html = c.get("/mfa/totp").get_data(as_text=True)
    qr = re.search(r'id="zwt-totp-qr"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert qr.strip().startswith("<svg") and "http" not in qr.replace('xmlns="http://www.w3.org/2000/svg"', "")
    refresh()
    pending = db.session.get(UserSecurity, user.id).totp_pending_secret
    assert pending and pending in html.replace(" ", "")
    # Reloading shows the same key until it is confirmed.
    assert pending in c.get("/mfa/totp").get_data(as_text=True).replace(" ", "")


def test_enrolment_needs_a_valid_code_and_shows_ten_recovery_codes_once(app, org, clock):
    user = make_user("Sales", org.east)
    c = _signed_in(app, user)
    c.get("/mfa/totp")
    resp = c.post("/mfa/totp", data={"code": "000000"})
    assert resp.status_code == 302 and flashed(c)
    refresh()
    assert db.session.get(UserSecurity, user.id).mfa_method is None
    secret, codes = enrol_totp(c, clock)
    assert len(set(codes)) == 10
    refresh()
    row = db.session.get(UserSecurity, user.id)
    assert row.mfa_method == "totp" and row.totp_secret == secret and row.totp_pending_secret is None
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not any(code.replace("-", "") in h for code in codes for h in stored)
    # The settings page says it is on and never shows the codes again.
    settings = c.get("/mfa/").get_data(as_text=True)
    assert "Recovery codes left: 10" in settings and codes[0] not in settings


def test_login_with_totp_needs_the_second_step_before_anything_opens(app, org, clock):
    user, secret, _codes = _totp_user(app, org, clock)
    c = client(app)
    resp = post_login(c, user.username, next_url="/notifications/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/verify")
    # Password right, not signed in yet: every page still sends to the login.
    for url in ("/notifications/", "/mfa/", "/my-login-history/", "/customers/list/"):
        assert "/login/" in c.get(url).headers["Location"], url
    page = c.get("/login/verify").get_data(as_text=True)
    assert "authenticator app" in page
    assert c.post("/login/verify", data={"method": "totp", "code": "123456"}).headers["Location"].endswith("/login/verify?method=totp")
    resp = c.post("/login/verify", data={"method": "totp", "code": totp_now(secret, clock.now)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/notifications/")
    assert c.get("/notifications/").status_code == 200
    # The same code does not open a second session.
    other = client(app)
    post_login(other, user.username)
    assert other.post("/login/verify", data={"method": "totp", "code": totp_now(secret, clock.now)}).status_code == 302
    assert "/login/" in other.get("/notifications/").headers["Location"]


def test_a_recovery_code_works_once(app, org, clock):
    user, _secret, codes = _totp_user(app, org, clock)
    first = client(app)
    post_login(first, user.username)
    resp = first.post("/login/verify", data={"method": "recovery", "code": codes[3].upper().replace("-", " ")})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/")
    assert first.get("/notifications/").status_code == 200
    again = client(app)
    post_login(again, user.username)
    again.post("/login/verify", data={"method": "recovery", "code": codes[3]})
    assert "/login/" in again.get("/notifications/").headers["Location"]
    refresh()
    assert mfa.remaining_recovery_codes(user) == 9


def test_e_mail_code_as_the_second_factor(app, org, clock):
    user = make_user("Sales", org.east)
    c = _signed_in(app, user)
    c.post("/mfa/code/send", data={"method": "email"})
    resp = c.post("/mfa/code", data={"method": "email", "code": _last_code_mailed_to(user.email)})
    assert resp.status_code == 200 and len(re.findall(r"<li>[a-z0-9]{5}-[a-z0-9]{5}</li>", resp.get_data(as_text=True))) == 10
    login = client(app)
    assert post_login(login, user.username).headers["Location"].endswith("/login/verify")
    code = _last_code_mailed_to(user.email)
    resp = login.post("/login/verify", data={"method": "email", "code": code})
    assert resp.headers["Location"].endswith("/") and login.get("/notifications/").status_code == 200
    assert [a.factor for a in attempts_of(user.username) if a.success][-1] == "email_code"


def test_sms_code_goes_through_the_outbox_which_admins_read(app, org, clock):
    user = make_user("Sales", org.east)
    user.mobile = "139" + str(user.id).zfill(8)[-8:]
    db.session.commit()
    c = _signed_in(app, user)
    c.post("/mfa/code/send", data={"method": "sms"})
    refresh()
    sms = db.session.scalars(select(SmsMessage).where(SmsMessage.mobile == user.mobile)).all()
    assert len(sms) == 1 and sms[0].status == "outbox"
    code = re.search(r"\b(\d{6})\b", sms[0].text).group(1)
    assert c.post("/mfa/code", data={"method": "sms", "code": code}).status_code == 200
    refresh()
    assert db.session.get(UserSecurity, user.id).mfa_method == "sms"
    admin = _signed_in(app, org.admin)
    listing = admin.get("/sms_outbox/list/").get_data(as_text=True)
    assert user.mobile in listing
    assert "/login/" in client(app).get("/sms_outbox/list/").headers["Location"]
    assert _signed_in(app, org.east_rep).get("/sms_outbox/list/").status_code in (302, 403)


def test_five_wrong_codes_use_up_a_code_and_an_old_one_expires(app, org, clock):
    user = make_user("Sales", org.east)
    with unit_of_work(user) as uow:
        code = mfa.issue_code(uow, user, "login", "email")
    for _n in range(5):
        with unit_of_work(user):
            assert mfa.verify_code(user, "login", "email", "000000" if code != "000000" else "111111") == mfa.BAD
    with unit_of_work(user):
        assert mfa.verify_code(user, "login", "email", code) == mfa.EXPIRED
    with unit_of_work(user) as uow:
        code = mfa.issue_code(uow, user, "login", "email")
    clock.advance(minutes=10, seconds=1)
    with unit_of_work(user):
        assert mfa.verify_code(user, "login", "email", code) == mfa.EXPIRED
    with unit_of_work(user) as uow:
        first = mfa.issue_code(uow, user, "login", "email")
        second = mfa.issue_code(uow, user, "login", "email")
    with unit_of_work(user):
        # A new code replaces the previous one.
        assert first == second or mfa.verify_code(user, "login", "email", first) == mfa.BAD
    with unit_of_work(user):
        assert mfa.verify_code(user, "login", "email", second) == mfa.OK
    stored = db.session.scalars(select(OneTimeCode.code_hash).where(OneTimeCode.user_id == user.id)).all()
    assert second not in " ".join(stored)


def test_guessing_codes_quickly_gets_429(app, org, clock):
    user, _secret, _codes = _totp_user(app, org, clock)
    c = client(app)
    post_login(c, user.username)
    statuses = [c.post("/login/verify", data={"method": "totp", "code": f"{n:06d}"}).status_code for n in range(6)]
    assert statuses[:5] == [302] * 5 and statuses[5] == 429
    assert [a.reason for a in attempts_of(user.username)][-6:] == ["bad_code"] * 5 + ["rate_limited"]


def test_a_role_that_requires_2fa_walks_its_members_through_enrolment(app, org, clock):
    role = current_app.appbuilder.sm.find_role("Purchasing")
    mfa.set_required_roles(org.admin, {role.id})
    try:
        user = make_user("Purchasing", org.east)
        c = client(app)
        resp = post_login(c, user.username, next_url="/notifications/")
        assert resp.headers["Location"].endswith("/mfa/totp")
        for url in ("/notifications/", "/mfa/", "/login/verify", "/customers/list/"):
            target = c.get(url).headers.get("Location", "")
            assert "/login/" in target or target.endswith("/mfa/totp"), url
        assert "/logout/" not in c.get("/").get_data(as_text=True)
        assert "Your role requires two-factor authentication" in c.get("/mfa/totp").get_data(as_text=True)
        secret, _codes = enrol_totp(c, clock)
        assert c.get("/notifications/").status_code == 200
        # Switching it off is refused while the role requires it.
        c.post("/mfa/disable", data={"password": PASSWORD})
        refresh()
        assert db.session.get(UserSecurity, user.id).mfa_method == "totp"
        # The next login asks for the code, not for enrolment.
        clock.advance(seconds=30)
        nxt = client(app)
        assert post_login(nxt, user.username).headers["Location"].endswith("/login/verify")
        nxt.post("/login/verify", data={"method": "totp", "code": totp_now(secret, clock.now)})
        assert nxt.get("/notifications/").status_code == 200
    finally:
        mfa.set_required_roles(org.admin, set())


def test_admins_tick_the_roles_that_require_2fa(app, org):
    admin = _signed_in(app, org.admin)
    role = current_app.appbuilder.sm.find_role("Marketing")
    page = admin.get("/role_mfa_policy/").get_data(as_text=True)
    assert f'value="{role.id}"' in page and 'value="%d"' % current_app.appbuilder.sm.find_role("Public").id not in page
    try:
        assert admin.post("/role_mfa_policy/save", data={"role": [str(role.id)]}).status_code == 302
        refresh()
        assert mfa.mfa_required(make_user("Marketing", org.east))
        assert not mfa.mfa_required(make_user("Sales", org.east))
    finally:
        admin.post("/role_mfa_policy/save", data={})
    refresh()
    assert not mfa.mfa_required(make_user("Marketing", org.east))
    sales = _signed_in(app, org.east_rep)
    assert sales.get("/role_mfa_policy/").status_code in (302, 403)
    assert sales.post("/role_mfa_policy/save", data={"role": [str(role.id)]}).status_code in (302, 403)
    refresh()
    assert not mfa.mfa_required(make_user("Marketing", org.east))


def test_remembered_device_skips_the_second_step_until_the_password_changes(app, org, clock):
    user, secret, _codes = _totp_user(app, org, clock)
    c = client(app)
    post_login(c, user.username)
    c.post("/login/verify", data={"method": "totp", "code": totp_now(secret, clock.now), "remember": "1"})
    cookie = c.get_cookie("zwt_device")
    assert cookie is not None and cookie.http_only
    c.get("/logout/")
    assert post_login(c, user.username).headers["Location"].endswith("/")
    assert attempts_of(user.username)[-1].factor == "remembered_device"
    c.get("/logout/")
    # Another browser without the cookie is asked; a new password forgets the device.
    assert post_login(client(app), user.username).headers["Location"].endswith("/login/verify")
    current_app.appbuilder.sm.reset_password(user.id, "Another-pass9")
    assert post_login(c, user.username, "Another-pass9").headers["Location"].endswith("/login/verify")


def test_switching_2fa_off_needs_the_password(app, org, clock):
    user, _secret, _codes = _totp_user(app, org, clock)
    c = client(app)
    post_login(c, user.username)
    c.post("/login/verify", data={"method": "recovery", "code": _codes[0]})
    c.post("/mfa/disable", data={"password": "not-my-password1"})
    refresh()
    assert db.session.get(UserSecurity, user.id).mfa_method == "totp"
    c.post("/mfa/disable", data={"password": PASSWORD})
    refresh()
    assert db.session.get(UserSecurity, user.id).mfa_method is None
    assert mfa.remaining_recovery_codes(user) == 0
    assert post_login(client(app), user.username).headers["Location"].endswith("/")


class RecordingProvider(SmsProvider):
    sent: list = []

    def send(self, mobile, text):
        RecordingProvider.sent.append((mobile, text))


def test_a_configured_sms_provider_sends_after_commit(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "tests.security.test_mfa:RecordingProvider")
    queued = []
    monkeypatch.setattr("app.security.sms.enqueue_after_commit", lambda uow, fn, *args: queued.append((fn, args)))
    with unit_of_work(None) as uow:
        send_sms(uow, "13900001111", "您的验证码 123456")
    message = db.session.scalars(select(SmsMessage).where(SmsMessage.mobile == "13900001111")).all()[-1]
    assert message.status == "queued" and queued == [(deliver_sms, (message.id,))]
    assert deliver_sms(message.id) == "sent"
    assert RecordingProvider.sent[-1] == ("13900001111", "您的验证码 123456")
    assert deliver_sms(message.id) == "skipped"


def test_an_unknown_method_is_never_accepted(app, org, clock):
    user, _secret, _codes = _totp_user(app, org, clock)
    c = client(app)
    post_login(c, user.username)
    c.post("/login/verify", data={"method": "sms", "code": "123456"})
    assert "/login/" in c.get("/notifications/").headers["Location"]


@pytest.mark.parametrize("path", ["/mfa/", "/mfa/totp", "/my-login-history/"])
def test_anonymous_visitors_are_sent_to_login(app, path):
    assert "/login/" in client(app).get(path).headers["Location"]


def test_a_half_finished_login_expires(app, org, clock):
    user, secret, _codes = _totp_user(app, org, clock)
    c = client(app)
    post_login(c, user.username)
    clock.advance(minutes=app.config["MFA_PENDING_MINUTES"], seconds=1)
    resp = c.post("/login/verify", data={"method": "totp", "code": totp_now(secret, clock.now)})
    assert resp.headers["Location"].endswith("/login/")
    assert "/login/" in c.get("/notifications/").headers["Location"]


def test_fabs_own_password_check_never_skips_the_second_step(app, org, clock):
    user, _secret, _codes = _totp_user(app, org, clock)
    plain = make_user("Sales", org.east)
    sm = current_app.appbuilder.sm
    with app.test_request_context(environ_base={"REMOTE_ADDR": unique_ip()}):
        assert sm.auth_user_db(user.username, PASSWORD) is None
        assert sm.auth_user_db(plain.username, PASSWORD).id == plain.id
        assert sm.auth_user_db(plain.username, "Wrong-pass-1") is None
