"""Signing up and signing in with two factors in a real browser (issue 3, acceptance 8): register
on the self-registration page past the drawn arithmetic challenge, activate with the e-mailed
code, log in, set up an authenticator app, log out, and log in again with password and TOTP code;
between the two steps no page opens. The `page` fixture fails the test on any request to another
host and on any script error."""
from __future__ import annotations

import random
import re
import time
import uuid

import pyotp
import pytest
from limits import parse
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import unique
from tests.security.test_registration import challenge_answer

PASSWORD = "Zwt-Web#2026x"
BROWSER_ADDRESS = "127.0.0.1"  # what the live server sees as the browser's address
SIX_DIGITS = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@pytest.fixture
def open_registration(app):
    """Registration open, without approval, with the default role (the app's defaults) for the
    test; any saved settings are put back afterwards."""
    from app.extensions import db
    from app.security.registration_models import RegistrationSettings

    fields = ("enabled", "approval_required", "default_role_id", "default_department_id")
    with app.app_context():
        row = db.session.get(RegistrationSettings, 1)
        saved = None if row is None else {f: getattr(row, f) for f in fields}
        if row is not None:
            row.enabled, row.approval_required, row.default_role_id, row.default_department_id = True, False, None, None
            db.session.commit()
        db.session.remove()
    yield
    if saved is not None:
        with app.app_context():
            row = db.session.get(RegistrationSettings, 1)
            for name, value in saved.items():
                setattr(row, name, value)
            db.session.commit()
            db.session.remove()


@pytest.fixture
def registration_quota(app):
    """The sign-up limits count per address, and every browser test comes from the same one: the
    buckets this test used are emptied afterwards, so that repeated runs on a persistent Redis
    (REDIS_URL) do not run out of sign-ups."""
    yield
    from app.security.registration_views import RATE_LIMITS

    strategy = app.appbuilder.sm.limiter.limiter
    for bucket in ("registration", "registration_post", "registration_code"):
        name, default = RATE_LIMITS[bucket]
        strategy.clear(parse(app.config.get(name, default)), "zwt", bucket, BROWSER_ADDRESS)


def _urls(app) -> dict[str, str]:
    from flask import url_for

    with app.test_request_context():
        return {"mfa": url_for("MfaView.index"), "totp": url_for("MfaView.totp"),
                "logout": app.appbuilder.get_url_for_logout, "verify": url_for("ZwtAuthDBView.verify")}


def _activation_code(app, email: str) -> str:
    """The code of the last mail to `email`, read from the outbox."""
    from app.core.notify import MailMessage
    from app.extensions import db

    with app.app_context():
        try:
            mails = db.session.scalars(select(MailMessage).where(MailMessage.to == email)
                                       .order_by(MailMessage.id)).all()
            assert len(mails) == 1, [m.subject for m in mails]
            return SIX_DIGITS.search(mails[0].body).group(1)
        finally:
            db.session.remove()


def _mfa_method(app, username: str) -> str | None:
    from app.core.org import User
    from app.extensions import db
    from app.security.models import UserSecurity

    with app.app_context():
        try:
            user_id = db.session.scalar(select(User.id).where(User.username == username))
            row = db.session.get(UserSecurity, user_id)
            return row.mfa_method if row else None
        finally:
            db.session.remove()


def _code_of_a_later_window(page, totp: pyotp.TOTP, used_step: int) -> str:
    """The code the authenticator app shows in the first time window after `used_step` (a TOTP
    code is accepted once): waits out the rest of the used window, at most one interval."""
    wait = (used_step + 1) * totp.interval - time.time()
    assert wait <= totp.interval, wait
    if wait > 0:
        page.wait_for_timeout(wait * 1000 + 50)
    now = time.time()
    assert totp.timecode(now) > used_step
    return totp.at(now)


def _user_menu(page, name: str):
    menu = page.locator("li.dropdown", has=page.locator("a.dropdown-toggle", has_text=name))
    expect(menu).to_have_count(1)
    return menu


def test_register_activate_enrol_totp_and_sign_in_with_two_factors(page, app, zh, shot, open_registration,
                                                                    registration_quota):
    urls = _urls(app)
    username = unique("web")
    email = f"{username}@example.com"
    family, given = "王", "测" + random.choice("甲乙丙丁戊")
    display_name = family + given

    # -- sign up: the login page links to the registration page ---------------------------------
    page.goto("/login/")
    expect(page.locator("form[name=login] [type=submit]")).to_have_value(zh("Sign In"))
    page.locator("#zwt-register-link").click()
    expect(page).to_have_url(re.compile(r"/register/$"))
    expect(page.locator(".panel-title")).to_have_text(zh("Create an account"))
    expect(page.locator("#zwt-register-submit")).to_have_text(zh("Create account"))
    expect(page.locator("#zwt-challenge svg")).to_be_visible()
    page.fill("#last_name", family)
    page.fill("#first_name", given)
    page.fill("#username", username)
    page.fill("#email", email)
    page.fill("#mobile", "139" + str(uuid.uuid4().int)[:8])
    page.fill("#company", "浏览器测试公司")
    page.fill("#password", PASSWORD)
    page.fill("#confirm_password", PASSWORD)
    session_cookie = next(c["value"] for c in page.context.cookies() if c["name"] == app.config["SESSION_COOKIE_NAME"])
    with app.app_context():
        answer = challenge_answer(app, session_cookie)
    page.fill("#answer", answer)
    shot("register")
    page.locator("#zwt-register-submit").click()

    # -- activate with the e-mailed code --------------------------------------------------------
    expect(page).to_have_url(re.compile(r"/register/activate/[^/]+$"))
    expect(page.locator(".panel-title")).to_have_text(zh("Activate your account"))
    page.fill("#code", _activation_code(app, email))
    page.locator("#zwt-activate-submit").click()
    expect(page.locator(".panel-title")).to_have_text(zh("Account activated"))
    expect(page.locator("#zwt-registration-message")).to_contain_text(username)
    shot("activated")

    # -- log in with the password alone and set up an authenticator app -------------------------
    page.locator(".panel-body a.btn-primary").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login] [type=submit]").click()
    expect(page.locator("#zwt-notifications")).to_be_visible()
    menu = _user_menu(page, display_name)
    menu.locator("a.dropdown-toggle").click()
    item = menu.locator(f"a[href='{urls['mfa']}']")
    expect(item).to_have_text(zh("Two-factor authentication"))
    item.click()
    expect(page.locator(".panel-title")).to_have_text(zh("Two-factor authentication"))
    expect(page.locator("#zwt-mfa-settings")).to_contain_text(
        zh("Two-factor authentication is off: your password alone opens your account."))
    page.locator(f"#zwt-mfa-settings a[href='{urls['totp']}']").click()

    expect(page.locator(".panel-title")).to_have_text(zh("Set up an authenticator app"))
    expect(page.locator("#zwt-totp-qr svg")).to_be_visible()
    secret = page.locator("#zwt-totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    totp = pyotp.TOTP(secret)
    shot("totp-enrol")
    enrolled_at = time.time()
    enrol = page.locator("form[name=totp_enrol]")
    enrol.locator("#code").fill(totp.at(enrolled_at))
    enrol.locator("[type=submit]").click()
    used_step = totp.timecode(enrolled_at)

    expect(page.locator(".panel-title")).to_have_text(zh("Your recovery codes"))
    codes = page.locator("#zwt-recovery-codes li")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", c) for c in codes.all_inner_texts()), codes.all_inner_texts()
    shot("recovery-codes")
    page.locator("#zwt-continue").click()
    expect(page).to_have_url(re.compile(re.escape(urls["mfa"]) + "$"))
    expect(page.locator("#zwt-mfa-settings")).to_contain_text(zh("Recovery codes left: %(n)d", n=10))
    assert _mfa_method(app, username) == "totp"

    # -- log out, and in again: the password is not enough any more -----------------------------
    menu = _user_menu(page, display_name)
    menu.locator("a.dropdown-toggle").click()
    menu.locator(f"a[href='{urls['logout']}']").click()
    expect(page.locator("#zwt-notifications")).to_have_count(0)
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login] [type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(urls["verify"]) + "$"))
    second = page.locator("form[name=second_factor]")
    expect(second.locator("#code")).to_be_visible()
    expect(page.locator(".panel-title")).to_have_text(zh("Two-factor authentication"))
    expect(second).to_contain_text(zh("Enter the 6-digit code shown in your authenticator app."))
    expect(second.locator("[type=submit]")).to_have_text(zh("Verify"))
    expect(page.locator("#zwt-notifications")).to_have_count(0)
    shot("second-factor")

    # Between password and code nothing opens: pages send back to the login.
    for path in ("/customers/list/", urls["mfa"], "/notifications/"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/login/(verify)?(\?.*)?$"))
        expect(page.locator("#zwt-notifications")).to_have_count(0)
        expect(page.locator("form[name=login], form[name=second_factor]")).to_have_count(1)
        expect(page.locator("body")).not_to_contain_text(display_name)

    # -- the code of the authenticator app completes the login ----------------------------------
    page.goto(urls["verify"])
    second.locator("#code").fill(_code_of_a_later_window(page, totp, used_step))
    second.locator("[type=submit]").click()
    expect(page.locator("#zwt-notifications")).to_be_visible()
    expect(_user_menu(page, display_name).locator("a.dropdown-toggle")).to_contain_text(display_name)
    shot("signed-in")
    page.goto("/customers/list/")
    expect(page).to_have_url(re.compile(r"/customers/list/$"))
    expect(page.locator(".zwt-page-title")).to_have_text(zh("Customers"))
