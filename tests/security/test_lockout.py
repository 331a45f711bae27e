"""Brute force: five wrong passwords lock an account for 15 minutes (and tell its owner), rate
limits per address and per user name answer 429, and the limits live in Redis."""
from flask import current_app
from limits import parse
from sqlalchemy import select

from app.core.notify import MailMessage, Notification
from app.core.org import User
from app.extensions import db
from app.security.models import UserSecurity
from tests.factories import PASSWORD, make_user
from tests.security.signin import GENERIC_FAILURE, client, clock, flashed, post_login, refresh, unique_ip  # noqa: F401

WRONG = "Wrong-pass-1"


def _fails(c, username, password=WRONG):
    resp = post_login(c, username, password)
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"], resp.status_code
    return flashed(c)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(app, org, clock):
    user = make_user("Sales", org.east)
    c = client(app)
    for _n in range(4):
        assert _fails(c, user.username) == [GENERIC_FAILURE]
    refresh()
    assert db.session.get(UserSecurity, user.id) is None or db.session.get(UserSecurity, user.id).locked_until is None
    assert _fails(c, user.username) == [GENERIC_FAILURE]
    refresh()
    assert db.session.get(UserSecurity, user.id).locked_until is not None
    # The right password now gets the same answer as a wrong one, from anywhere.
    assert _fails(client(app), user.username, PASSWORD) == [GENERIC_FAILURE]
    clock.advance(minutes=14, seconds=59)
    assert _fails(client(app), user.username, PASSWORD) == [GENERIC_FAILURE]
    clock.advance(seconds=2)
    resp = post_login(client(app), user.username, PASSWORD)
    assert resp.status_code == 302 and "/login/" not in resp.headers["Location"]


def test_the_owner_is_told_in_the_app_and_by_mail(app, org, clock):
    user = make_user("Sales", org.east)
    c = client(app)
    for _n in range(5):
        _fails(c, user.username)
    refresh()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()
    assert len(notes) == 1 and "locked" in notes[0].title
    mails = db.session.scalars(select(MailMessage).where(MailMessage.to == user.email)).all()
    assert len(mails) == 1 and "15 minutes" in mails[0].body
    # Further attempts while locked do not notify again.
    _fails(c, user.username)
    refresh()
    assert db.session.scalar(select(db.func.count()).select_from(Notification).where(Notification.user_id == user.id)) == 1


def test_a_successful_login_resets_the_count(app, org, clock):
    user = make_user("Sales", org.east)
    c = client(app)
    for _n in range(4):
        _fails(c, user.username)
    assert "/login/" not in post_login(client(app), user.username).headers["Location"]
    for _n in range(4):
        _fails(c, user.username)
    assert "/login/" not in post_login(client(app), user.username).headers["Location"]
    refresh()
    assert db.session.get(User, user.id).fail_login_count == 0


def test_an_admin_can_unlock_at_once(app, org, clock):
    user = make_user("Sales", org.east)
    c = client(app)
    for _n in range(5):
        _fails(c, user.username)
    admin = client(app)
    post_login(admin, org.admin.username)
    resp = admin.post("/users/action_post", data={"action": "unlock", "rowid": [str(user.id)]})
    assert resp.status_code == 302
    resp = post_login(client(app), user.username)
    assert "/login/" not in resp.headers["Location"]


def test_too_many_failures_from_one_address_get_429(app, org):
    ip = unique_ip()
    allowed = parse(current_app.config["RATE_LIMIT_LOGIN_IP"]).amount
    c = client(app, ip=ip)
    for n in range(allowed):
        _fails(c, f"nobody-{n}-{ip}")
    resp = post_login(c, org.east_rep.username)
    assert resp.status_code == 429
    assert "Too many attempts" in resp.get_data(as_text=True) and int(resp.headers["Retry-After"]) > 0
    # The JWT login shares the bucket, and answers in JSON.
    resp = c.post("/api/v1/security/login", json={"username": org.east_rep.username, "password": PASSWORD, "provider": "db"})
    assert resp.status_code == 429 and "Too many attempts" in resp.get_json()["message"]
    # Another address is not affected.
    assert "/login/" not in post_login(client(app), org.east_rep.username).headers["Location"]


def test_too_many_failures_for_one_user_name_get_429_from_any_address(app, org):
    name = f"ghost-{unique_ip()}"
    allowed = parse(current_app.config["RATE_LIMIT_LOGIN_ACCOUNT"]).amount
    for _n in range(allowed):
        _fails(client(app), name)
    assert post_login(client(app), name).status_code == 429


def test_limits_are_kept_in_the_shared_redis(app, ctx):
    from limits.storage import RedisStorage

    from app.core.jobs import redis_connection

    storage = current_app.appbuilder.sm.limiter.storage
    assert isinstance(storage, RedisStorage)
    ip = unique_ip()
    _fails(client(app, ip=ip), f"someone-{ip}")
    keys = redis_connection().keys("LIMITS*zwt*login_ip*")
    assert any(ip.lower() in key.decode() for key in keys)
