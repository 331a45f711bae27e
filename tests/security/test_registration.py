"""Self-registration through the real pages: sign up with a locally drawn challenge, activate
with the e-mailed code, optional approval by an admin, the settings, the rate limits, and that
a refused step never leaves anything half-written."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from markupsafe import escape
from sqlalchemy import delete, func, select

from app.core import clock
from app.core.audit import AuditLog
from app.core.notify import MailMessage, Notification
from app.core.org import User
from app.extensions import db
from app.security import challenge
from app.security import registration as service
from app.security.registration_models import (
    ACTIVE, AWAITING_APPROVAL, PENDING, REJECTED, Registration, RegistrationSettings,
)
from tests.conftest import unique
from tests.security import signin

PASSWORD = "Zwt-Reg#2026x"
ANSWER = "17"
RANDOM_PROBLEM = challenge.make_problem


@pytest.fixture(autouse=True)
def fixed_challenge(monkeypatch):
    """The sum is random in production; here it is always 12 + 5."""
    monkeypatch.setattr("app.security.challenge.make_problem", lambda *a: ("12+5", 17))


@pytest.fixture
def now(monkeypatch):
    """A controllable clock: now.advance(seconds=...) moves the app's time forward."""

    class Clock:
        value = clock.utcnow()

        def __call__(self):
            return self.value

        def advance(self, **delta):
            self.value += dt.timedelta(**delta)

    fake = Clock()
    monkeypatch.setattr(clock, "utcnow", fake)
    return fake


@pytest.fixture(autouse=True)
def settings(ctx):
    """Each test starts from the default settings and leaves them as it found them."""
    before = db.session.get(RegistrationSettings, 1)
    saved = None if before is None else (before.enabled, before.approval_required, before.default_role_id,
                                         before.default_department_id)
    db.session.execute(delete(RegistrationSettings))
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(delete(RegistrationSettings))
    if saved is not None:
        db.session.add(RegistrationSettings(id=1, enabled=saved[0], approval_required=saved[1],
                                            default_role_id=saved[2], default_department_id=saved[3]))
    db.session.commit()


def set_settings(actor, **values):
    current = service.get_settings()
    fields = {"enabled": current.enabled, "approval_required": current.approval_required,
              "default_role_id": current.default_role_id, "default_department_id": current.default_department_id}
    fields.update(values)
    service.update_settings(actor, **fields)


def text(msgid, **params) -> str:
    """A message as the app says it to the visitors here (who read English, the msgids)."""
    with force_locale("en"):
        return gettext(msgid, **params)


def text_for_staff(msgid, **params) -> str:
    """A message in the app's default language, as staff (and mail sent from their requests) see it."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return gettext(msgid, **params)


def said(msgid, **params) -> str:
    """The same, as it appears in a page."""
    return str(escape(text(msgid, **params)))


def wrong_answer() -> str:
    return said("The answer is wrong or the question has expired. Please answer the new question.")


def visitor(app):
    """A test client from an address of its own, so rate limits of other tests do not apply."""
    return signin.client(app)


def fresh():
    """The test's session, seeing what the requests (other threads) committed."""
    db.session.rollback()
    return db.session


def applicant(department=None, **overrides) -> dict:
    username = unique("reg")
    data = {"last_name": "张", "first_name": "晓明", "username": username, "email": f"{username}@example.com",
            "mobile": "139" + str(uuid.uuid4().int)[:8], "department_id": str(department.id) if department else "",
            "company": "" if department else "测试公司", "password": PASSWORD, "confirm_password": PASSWORD,
            "answer": ANSWER}
    data.update(overrides)
    return data


def sign_up(client, data):
    client.get("/register/")  # draws the challenge into the session
    return client.post("/register/", data=data)


def token_of(resp) -> str:
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    match = re.search(r"/register/activate/([^/?]+)$", resp.headers["Location"])
    assert match, resp.headers["Location"]
    return match.group(1)


def mails_to(email) -> list[MailMessage]:
    return list(fresh().scalars(select(MailMessage).where(MailMessage.to == email).order_by(MailMessage.id)))


def code_in_mail(email) -> str:
    return re.search(r"(?<!\d)(\d{6})(?!\d)", mails_to(email)[-1].body).group(1)


def activate(client, token, code):
    return client.post(f"/register/activate/{token}", data={"code": code})


def can_log_in(app, username, password=PASSWORD) -> bool:
    client = visitor(app)
    client.post("/login/", data={"username": username, "password": password})
    return client.get("/notifications/").status_code == 200


def row_counts():
    session = fresh()
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Registration, User, MailMessage, AuditLog, Notification)}


def test_sign_up_mails_a_code_that_activates_the_account_and_the_user_can_log_in(app, org):
    client = visitor(app)
    page = client.get("/register/").get_data(as_text=True)
    assert "<svg" in page and org.east.name in page and "12+5" not in page
    data = applicant(org.east)
    token = token_of(client.post("/register/", data=data))

    reg = fresh().scalar(select(Registration).where(Registration.token == token))
    assert reg.status == PENDING and reg.user_id is None and reg.code_hash and PASSWORD not in (reg.password_hash or "")
    code = code_in_mail(data["email"])
    assert code not in reg.code_hash
    assert not can_log_in(app, data["username"])
    page = client.get(f"/register/activate/{token}").get_data(as_text=True)
    assert data["email"] not in page and "@example.com" in page

    resp = activate(client, token, code)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/register/done/{token}")
    assert data["username"] in client.get(resp.headers["Location"]).get_data(as_text=True)
    user = fresh().scalar(select(User).where(User.username == data["username"]))
    assert user.active and [r.name for r in user.roles] == ["ReadOnly"]
    assert (user.department_id, user.mobile, user.last_name, user.first_name) == (org.east.id, data["mobile"], "张", "晓明")
    assert can_log_in(app, data["username"])
    # The code is used up; the registration is history, audited as the applicant's (no actor).
    assert activate(client, token, code).status_code == 404
    reg = fresh().get(Registration, reg.id)
    assert (reg.status, reg.user_id, reg.password_hash) == (ACTIVE, user.id, None)
    audit = fresh().scalars(select(AuditLog).where(AuditLog.table_name == "registration",
                                                   AuditLog.record_id == str(reg.id)).order_by(AuditLog.id)).all()
    assert audit[0].action == "create" and {a.actor_id for a in audit} == {None}
    assert not {"password_hash", "code_hash", "token"} & {key for a in audit for key in a.changes}
    assert [a.changes["status"] for a in audit if "status" in a.changes] == [[None, PENDING], [PENDING, ACTIVE]]


def test_five_wrong_codes_void_the_code_until_a_new_one_is_requested(app, org, now):
    client = visitor(app)
    data = applicant(org.east)
    token = token_of(sign_up(client, data))
    code = code_in_mail(data["email"])
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for left in (4, 3, 2, 1):
        page = activate(client, token, wrong).get_data(as_text=True)
        with force_locale("en"):
            assert str(escape(ngettext("Wrong code. %(num)d try left.", "Wrong code. %(num)d tries left.", left))) in page
    page = activate(client, token, wrong).get_data(as_text=True)
    assert said("Wrong code. It has been tried too often and is now void; please request a new code.") in page
    # Even the right code no longer works.
    page = activate(client, token, code).get_data(as_text=True)
    assert said("This code is no longer valid. Please request a new code.") in page
    assert fresh().scalar(select(Registration.status).where(Registration.token == token)) == PENDING
    assert not can_log_in(app, data["username"])

    now.advance(seconds=61)
    assert client.post(f"/register/activate/{token}/resend").status_code == 302
    assert len(mails_to(data["email"])) == 2
    assert activate(client, token, code_in_mail(data["email"])).status_code == 302
    assert can_log_in(app, data["username"])


def test_an_expired_code_is_refused(app, org, now):
    client = visitor(app)
    data = applicant(org.east)
    token = token_of(sign_up(client, data))
    code = code_in_mail(data["email"])
    now.advance(minutes=10, seconds=1)
    page = activate(client, token, code).get_data(as_text=True)
    assert said("This code has expired. Please request a new code.") in page
    assert fresh().scalar(select(Registration.status).where(Registration.token == token)) == PENDING
    client.post(f"/register/activate/{token}/resend")
    assert activate(client, token, code_in_mail(data["email"])).status_code == 302


def test_a_new_code_can_be_requested_once_a_minute_and_replaces_the_old_one(app, org, now):
    client = visitor(app)
    data = applicant(org.east)
    token = token_of(sign_up(client, data))
    first = code_in_mail(data["email"])
    client.post(f"/register/activate/{token}/resend")
    now.advance(seconds=59)
    client.post(f"/register/activate/{token}/resend")
    page = client.get(f"/register/activate/{token}").get_data(as_text=True)  # shows the flashed message
    with force_locale("en"):
        assert str(escape(ngettext("Please wait %(num)d second before requesting a new code.",
                                   "Please wait %(num)d seconds before requesting a new code.", 1))) in page
    assert len(mails_to(data["email"])) == 1
    now.advance(seconds=1)
    client.post(f"/register/activate/{token}/resend")
    assert len(mails_to(data["email"])) == 2
    second = code_in_mail(data["email"])
    if second != first:
        assert activate(client, token, first).status_code == 200
    assert activate(client, token, second).status_code == 302


# A code: six digits standing alone (not inside a user name such as reg133793b34).
SIX_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{6}(?![0-9A-Za-z])")


def _answer_shown(app, resp, data) -> tuple:
    """What a visitor learns from a sign-up: where it leads and that page, with the parts that
    differ anyway (the token, the masked address) taken out."""
    token = token_of(resp)
    page = visitor(app).get(f"/register/activate/{token}").get_data(as_text=True)
    page = re.sub(r'name="csrf_token"[^>]*>', "", page).replace(token, "TOKEN")
    page = re.sub(r"nonce-?[\w\-=\"']*", "", page)
    return resp.status_code, re.sub(r"\w\*\*\*@[\w.-]+", "EMAIL", page)


def _registration(token) -> Registration:
    return fresh().scalar(select(Registration).where(Registration.token == token))


def test_a_taken_user_name_e_mail_or_mobile_gets_the_same_answer_as_a_free_one(app, org):
    existing = fresh().get(User, org.east_rep.id)
    existing.mobile = "139" + str(uuid.uuid4().int)[:8]
    db.session.commit()
    pending = applicant(org.east)
    token_of(sign_up(visitor(app), pending))
    free = applicant(org.east)
    expected = _answer_shown(app, sign_up(visitor(app), free), free)
    cases = [
        ("username", existing.username.upper()), ("username", pending["username"]),
        ("email", existing.email.upper()), ("email", pending["email"]),
        ("mobile", existing.mobile), ("mobile", "+86 " + pending["mobile"]),
    ]
    for field, value in cases:
        data = applicant(org.east, **{field: value})
        assert _answer_shown(app, sign_up(visitor(app), data), data) == expected, (field, value)


def test_the_owner_of_a_taken_e_mail_address_is_told_and_no_code_is_sent(app, org, now):
    owner = fresh().get(User, org.east_rep.id)
    before = len(mails_to(owner.email))
    data = applicant(org.east, email=owner.email)
    token = token_of(sign_up(visitor(app), data))
    mails = mails_to(owner.email)[before:]
    assert len(mails) == 1
    notice = mails[0]
    assert text_for_staff("%(app)s: someone tried to register with your e-mail address",
                          app=current_app.config["APP_NAME"]) == notice.subject
    assert owner.username in notice.body and not re.search(SIX_DIGITS, notice.body)
    # Whatever code is tried, the registration never becomes an account.
    client = visitor(app)
    for guess in ("000000", "123456"):
        assert activate(client, token, guess).status_code == 200
    now.advance(seconds=61)
    client.post(f"/register/activate/{token}/resend")
    again = mails_to(owner.email)[before:]
    assert len(again) == 2 and not re.search(SIX_DIGITS, again[-1].body)
    assert _registration(token).status == PENDING and _registration(token).user_id is None
    assert not can_log_in(app, data["username"])


def test_an_address_with_an_open_registration_is_told_about_it(app, org):
    first = applicant(org.east)
    token_of_first = token_of(sign_up(visitor(app), first))
    code = code_in_mail(first["email"])
    second = applicant(org.east, email=first["email"])
    token_of(sign_up(visitor(app), second))
    mails = mails_to(first["email"])
    assert len(mails) == 2 and first["username"] in mails[-1].body
    assert not re.search(SIX_DIGITS, mails[-1].body)
    # The first registration's code still works.
    assert activate(visitor(app), token_of_first, code).status_code == 302


def test_a_taken_user_name_is_said_only_after_the_code_and_another_can_be_chosen(app, org):
    data = applicant(org.east, username=org.east_rep.username)
    client = visitor(app)
    token = token_of(sign_up(client, data))
    code = code_in_mail(data["email"])
    before = row_counts()
    page = activate(client, token, code).get_data(as_text=True)
    assert said("This user name is already taken. Please choose another.") in page
    assert 'name="username"' in page and f'value="{code}"' in page
    assert row_counts() == before
    reg = _registration(token)
    assert (reg.status, reg.code_attempts, reg.username) == (PENDING, 0, org.east_rep.username)

    chosen = unique("reg")
    resp = client.post(f"/register/activate/{token}", data={"code": code, "username": chosen})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/register/done/{token}")
    user = fresh().scalar(select(User).where(User.username == chosen))
    assert user is not None and user.email == data["email"]
    assert fresh().get(User, org.east_rep.id).email != data["email"]
    assert can_log_in(app, chosen)


def test_a_taken_mobile_number_is_said_after_the_code_and_a_chosen_name_must_be_valid_and_free(app, org):
    existing = fresh().get(User, org.south_rep.id)
    existing.mobile = "139" + str(uuid.uuid4().int)[:8]
    db.session.commit()
    data = applicant(org.east, mobile=existing.mobile)
    client = visitor(app)
    token = token_of(sign_up(client, data))
    code = code_in_mail(data["email"])
    page = activate(client, token, code).get_data(as_text=True)
    assert said("Another user is already registered using this mobile number.") in page
    assert 'name="mobile"' in page and 'name="username"' not in page
    # Another taken user name or a malformed number is refused, and nothing changes.
    page = client.post(f"/register/activate/{token}", data={"code": code, "mobile": "12345",
                                                            "username": org.east_rep.username}).get_data(as_text=True)
    assert said("Please enter an 11-digit mainland China mobile number, e.g. 13912345678.") in page
    assert said("This user name is already taken. Please choose another.") in page
    assert _registration(token).mobile == existing.mobile and _registration(token).code_attempts == 0
    mobile = "138" + str(uuid.uuid4().int)[:8]
    resp = client.post(f"/register/activate/{token}", data={"code": code, "mobile": mobile,
                                                            "username": data["username"]})
    assert resp.status_code == 302
    assert fresh().scalar(select(User.mobile).where(User.username == data["username"])) == mobile


def test_between_two_open_registrations_the_earlier_keeps_the_user_name(app, org):
    first, second = applicant(org.east), None
    second = applicant(org.east, username=first["username"])
    token_1 = token_of(sign_up(visitor(app), first))
    token_2 = token_of(sign_up(visitor(app), second))
    page = activate(visitor(app), token_2, code_in_mail(second["email"])).get_data(as_text=True)
    assert said("This user name is already taken. Please choose another.") in page
    assert activate(visitor(app), token_1, code_in_mail(first["email"])).status_code == 302
    assert can_log_in(app, first["username"])


def test_field_rules_and_the_password_policy_are_enforced(app, org):
    from app.security.passwords import check_password_policy

    client = visitor(app)
    before = row_counts()
    data = applicant(None, username=unique("pw"), password="abc", confirm_password="abd", company="", mobile="12345",
                     email="not-an-address", last_name="")
    page = sign_up(client, data).get_data(as_text=True)
    with force_locale("en"):
        policy = check_password_policy("abc", data["username"])
    assert policy and all(str(escape(message)) in page for message in policy)
    for message in ("The two passwords do not match.", "Please enter an 11-digit mainland China mobile number, e.g. 13912345678.",
                    "This is not a valid e-mail address.", "Please enter your family name.",
                    "Choose your department or enter your company."):
        assert said(message) in page, message
    assert data["username"] in page  # what was typed is kept
    same = applicant(org.east)
    same["password"] = same["confirm_password"] = same["username"] + "99"
    page = sign_up(client, same).get_data(as_text=True)
    with force_locale("en"):
        policy = check_password_policy(same["password"], same["username"])
    assert policy and all(str(escape(message)) in page for message in policy)
    assert row_counts() == before


def test_a_wrong_challenge_answer_is_refused_and_a_challenge_works_only_once(app, org):
    client = visitor(app)
    before = row_counts()
    data = applicant(org.east, answer="18")
    page = sign_up(client, data).get_data(as_text=True)
    assert wrong_answer() in page and data["username"] in page
    # No answer to the challenge, no word on whether the name is taken.
    page = sign_up(client, applicant(org.east, username=org.east_rep.username, answer="")).get_data(as_text=True)
    assert said("This user name is already taken. Please choose another.") not in page
    # Without having been shown a challenge at all.
    assert wrong_answer() in visitor(app).post("/register/", data=applicant(org.east)).get_data(as_text=True)
    assert row_counts() == before

    client.get("/register/")
    with_challenge = client.get_cookie("session").value
    token_of(client.post("/register/", data=applicant(org.east)))
    # Replaying the cookie that still holds the solved challenge does not get a second use.
    client.set_cookie("session", with_challenge)
    replay = applicant(org.east)
    assert wrong_answer() in client.post("/register/", data=replay).get_data(as_text=True)
    assert fresh().scalar(select(Registration).where(Registration.username == replay["username"])) is None


def test_an_expired_challenge_is_refused(app, org, now):
    client = visitor(app)
    client.get("/register/")
    now.advance(minutes=11)
    data = applicant(org.east)
    assert wrong_answer() in client.post("/register/", data=data).get_data(as_text=True)


def test_closed_registration_refuses_the_page_and_the_form(app, org):
    set_settings(org.admin, enabled=False)
    client = visitor(app)
    resp = client.get("/register/")
    assert resp.status_code == 403 and said("Registration is closed") in resp.get_data(as_text=True)
    assert "<form" not in resp.get_data(as_text=True).split("zwt-registration-message")[1]
    before = row_counts()
    resp = client.post("/register/", data=applicant(org.east))
    assert resp.status_code == 403 and row_counts() == before
    set_settings(org.admin, enabled=True)
    assert client.get("/register/").status_code == 200


def test_with_approval_required_admins_decide_and_the_applicant_is_told(app, org, login):
    set_settings(org.admin, approval_required=True)
    client = visitor(app)
    data = applicant(org.east)
    token = token_of(sign_up(client, data))
    done = activate(client, token, code_in_mail(data["email"]))
    assert said("Thank you. An administrator will review your registration; you will be informed by e-mail.") in \
        client.get(done.headers["Location"]).get_data(as_text=True)
    assert not can_log_in(app, data["username"])
    reg = fresh().scalar(select(Registration).where(Registration.token == token))
    assert reg.status == AWAITING_APPROVAL
    note = fresh().scalars(select(Notification).where(Notification.user_id == org.admin.id)
                           .order_by(Notification.id.desc())).first()
    assert data["username"] in note.body and note.link == "/registrations/"

    assert login(org.manager).get("/registrations/").status_code in (302, 403)
    assert login(org.manager).post(f"/registrations/{reg.id}/approve").status_code in (302, 403)
    assert fresh().get(Registration, reg.id).status == AWAITING_APPROVAL
    admin = login(org.admin)
    assert data["username"] in admin.get("/registrations/").get_data(as_text=True)
    assert admin.post(f"/registrations/{reg.id}/approve").status_code == 302
    reg = fresh().get(Registration, reg.id)
    assert reg.status == ACTIVE and reg.decided_by_id == org.admin.id
    assert mails_to(data["email"])[-1].subject == text_for_staff("%(app)s: your registration was approved",
                                                                  app=app.config["APP_NAME"])
    assert can_log_in(app, data["username"])

    other = applicant(org.east)
    token = token_of(sign_up(client, other))
    activate(client, token, code_in_mail(other["email"]))
    reg = fresh().scalar(select(Registration).where(Registration.token == token))
    confirm = admin.get(f"/registrations/{reg.id}/reject").get_data(as_text=True)
    assert str(escape(text_for_staff(
        "Reject the registration of %(name)s (user name %(username)s, %(email)s)? The applicant is informed by "
        "e-mail and cannot log in.", name="张晓明", username=other["username"], email=other["email"]))) in confirm
    assert fresh().get(Registration, reg.id).status == AWAITING_APPROVAL  # asking changes nothing
    assert admin.post(f"/registrations/{reg.id}/reject", data={"reason": "不是本公司员工"}).status_code == 302
    reg = fresh().get(Registration, reg.id)
    assert (reg.status, reg.password_hash, reg.user_id) == (REJECTED, None, None)
    mail = mails_to(other["email"])[-1]
    assert mail.subject == text_for_staff("%(app)s: your registration was not approved", app=app.config["APP_NAME"])
    assert "不是本公司员工" in mail.body
    assert not can_log_in(app, other["username"])
    assert fresh().scalar(select(User).where(User.username == other["username"])) is None
    # A decision is final.
    admin.post(f"/registrations/{reg.id}/approve")
    assert fresh().get(Registration, reg.id).status == REJECTED


def test_the_default_role_and_department_apply_to_new_users(app, org):
    sales = app.appbuilder.sm.find_role("Sales")
    set_settings(org.admin, default_role_id=sales.id, default_department_id=org.finance.id)
    client = visitor(app)
    data = applicant(None, company="某某贸易公司")
    token = token_of(sign_up(client, data))
    activate(client, token, code_in_mail(data["email"]))
    user = fresh().scalar(select(User).where(User.username == data["username"]))
    assert [r.name for r in user.roles] == ["Sales"] and user.department_id == org.finance.id
    assert fresh().scalar(select(Registration.company).where(Registration.token == token)) == "某某贸易公司"
    chosen = applicant(org.south)
    token = token_of(sign_up(client, chosen))
    activate(client, token, code_in_mail(chosen["email"]))
    assert fresh().scalar(select(User.department_id).where(User.username == chosen["username"])) == org.south.id


def test_admins_change_the_settings_on_their_screen_and_others_cannot(app, org, login):
    assert login(org.manager).get("/registration_settings/").status_code in (302, 403)
    login(org.manager).post("/registration_settings/", data={"enabled": "", "approval_required": "y"})
    assert fresh().get(RegistrationSettings, 1) is None
    admin = login(org.admin)
    page = admin.get("/registration_settings/").get_data(as_text=True)
    roles = re.search(r'<select[^>]*id="default_role_id".*?</select>', page, re.S).group(0)
    offered = set(re.findall(r'<option[^>]*value="(\d+)"', roles))
    sm = app.appbuilder.sm
    assert {str(sm.find_role("ReadOnly").id), str(sm.find_role("Sales").id)} <= offered
    assert str(sm.find_role("Admin").id) not in offered
    marketing = app.appbuilder.sm.find_role("Marketing")
    resp = admin.post("/registration_settings/", data={"approval_required": "y", "default_role_id": str(marketing.id),
                                                       "default_department_id": str(org.sales.id)})
    assert resp.status_code == 302
    row = fresh().get(RegistrationSettings, 1)
    assert (row.enabled, row.approval_required, row.default_role_id, row.default_department_id) == \
        (False, True, marketing.id, org.sales.id)
    assert fresh().scalar(select(AuditLog.actor_id).where(AuditLog.table_name == "registration_settings")
                          .order_by(AuditLog.id.desc()).limit(1)) == org.admin.id
    # The administrator role is never handed out by self-registration.
    admin_role = app.appbuilder.sm.find_role("Admin")
    page = admin.post("/registration_settings/", data={"enabled": "y", "default_role_id": str(admin_role.id)}).get_data(as_text=True)
    assert str(escape(text_for_staff("Choose one of the listed roles."))) in page
    assert fresh().get(RegistrationSettings, 1).default_role_id == marketing.id


def test_registrations_and_code_checks_are_rate_limited_per_address(app, org):
    client = visitor(app)
    for _ in range(5):
        token = token_of(sign_up(client, applicant(org.east)))
    before = row_counts()
    resp = sign_up(client, applicant(org.east))
    assert resp.status_code == 429 and 'id="zwt-register"' not in resp.get_data(as_text=True)
    assert 0 < int(resp.headers["Retry-After"]) <= 3600
    assert row_counts() == before
    assert visitor(app).get("/register/").status_code == 200  # another address is not affected

    for _ in range(10):
        assert activate(client, token, "000000").status_code == 200
    assert activate(client, token, "000000").status_code == 429


def test_an_activation_that_cannot_complete_writes_nothing(app, org):
    client = visitor(app)
    data = applicant(org.east)
    token = token_of(sign_up(client, data))
    code = code_in_mail(data["email"])
    # Someone else got the e-mail address in the meantime (an admin created the user by hand).
    sm = app.appbuilder.sm
    sm.add_user(unique("other"), "某", "人", data["email"], sm.find_role("ReadOnly"), password=PASSWORD)
    before = row_counts()
    page = activate(client, token, code).get_data(as_text=True)
    assert said("The user name or e-mail address has been taken by another account in the meantime.") in page
    assert row_counts() == before
    reg = fresh().scalar(select(Registration).where(Registration.token == token))
    assert (reg.status, reg.code_attempts, reg.user_id) == (PENDING, 0, None)


def test_parallel_guesses_get_no_more_than_five_tries(app, org):
    from concurrent.futures import ThreadPoolExecutor

    from app.core.errors import DomainError

    data = applicant(org.east)
    token = token_of(sign_up(visitor(app), data))
    wrong = f"{(int(code_in_mail(data['email'])) + 1) % 10 ** 6:06d}"

    def guess(_):
        with app.app_context():
            try:
                service.activate(None, token, wrong)
            except DomainError as exc:
                return exc.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(16)))
    assert outcomes.count("registration.wrong_code") == 4
    assert outcomes.count("registration.code_void") == 12
    reg = fresh().scalar(select(Registration).where(Registration.token == token))
    assert (reg.code_attempts, reg.code_hash, reg.status) == (5, None, PENDING)


def challenge_answer(app, session_cookie: str) -> str:
    """Solve a session's challenge as only the holder of the secret key can: the cookie carries
    the HMAC of the answer, and the sums are small. (For tests against a live server, where the
    question cannot be fixed by monkeypatching.)"""
    data = app.session_interface.get_signing_serializer(app).loads(session_cookie)[challenge.SESSION_KEY]
    return next(str(n) for n in range(0, 200) if challenge._digest(data["id"], str(n)) == data["hash"])


def test_a_random_question_is_answered_by_its_sum(app, org, monkeypatch):
    monkeypatch.setattr("app.security.challenge.make_problem", RANDOM_PROBLEM)
    client = visitor(app)
    client.get("/register/")
    answer = challenge_answer(app, client.get_cookie("session").value)
    token_of(client.post("/register/", data=applicant(org.east, answer=answer)))
