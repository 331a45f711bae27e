"""Each user's permissions are cached per process and invalidated through Redis: a warm list page
reads no permission table, and a change of a role is seen at once here and within a second in
every other process."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from flask import current_app
from sqlalchemy import delete, event, select

from app.core.scope import RoleScope
from app.extensions import db
from app.security import permission_cache
from tests.conftest import unique
from tests.factories import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[2]
LIST = "/customers/list/"
# The tables FAB reads the permissions of a user's roles and groups from.
FAB_PERMISSION_TABLES = ("ab_permission_view", "ab_permission ", "ab_view_menu", "ab_permission_view_role",
                         "ab_group", "ab_user_group", "ab_group_role")
# ...and those naming the user's roles and their data scopes.
ROLE_TABLES = ("ab_role ", "ab_role,", "ab_user_role", "role_scope")


class Statements:
    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args):
        self.seen.append(" ".join(statement.split()) + " ")

    def touching(self, tables) -> list[str]:
        return [s for s in self.seen if any(t in s for t in tables)]


@pytest.fixture
def statements(app):
    recorder = Statements()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", recorder)
    yield recorder
    event.remove(engine, "before_cursor_execute", recorder)


@pytest.fixture
def sales_copy(app, ctx):
    """A role with the Sales role's permissions, and a user holding only that role."""
    sm = current_app.appbuilder.sm
    role = sm.add_role(unique("PermCache"))
    role.permissions = list(sm.find_role("Sales").permissions)
    db.session.commit()
    user = make_user("Sales")
    user.roles = [role]
    db.session.commit()
    return role, user


def _read_pv(role):
    return next(pv for pv in role.permissions if (pv.permission.name, pv.view_menu.name) == ("can_read", "customers"))


def test_a_warm_list_page_reads_no_permission_of_fab(app, ctx, login, statements):
    client = login(make_user("Sales"))
    client.get(LIST)                                 # warm
    permission_cache.bump(app.config)                # cold again: the next request reads them
    statements.seen.clear()
    assert client.get(LIST).status_code == 200
    assert statements.touching(FAB_PERMISSION_TABLES), "a cold cache reads the permissions"
    statements.seen.clear()
    assert client.get(LIST).status_code == 200
    assert statements.touching(FAB_PERMISSION_TABLES) == []


def test_a_warm_list_page_reads_no_role_or_scope(app, ctx, login, statements):
    client = login(make_user("Sales"))
    client.get(LIST)
    statements.seen.clear()
    assert client.get(LIST).status_code == 200
    assert statements.touching(FAB_PERMISSION_TABLES + ROLE_TABLES) == []


def test_a_revoked_permission_is_refused_at_once_in_the_same_process(app, ctx, login, sales_copy):
    role, user = sales_copy
    client = login(user)
    assert client.get(LIST).status_code == 200
    assert client.get(LIST).status_code == 200      # served from the cache
    sm = current_app.appbuilder.sm
    read = _read_pv(role)
    sm.del_permission_role(role, read)
    assert client.get(LIST).status_code == 403
    sm.add_permission_role(role, read)
    assert client.get(LIST).status_code == 200


def test_a_role_taken_from_a_user_is_refused_at_once(app, ctx, login, sales_copy):
    role, user = sales_copy
    client = login(user)
    assert client.get(LIST).status_code == 200
    user.roles = [current_app.appbuilder.sm.add_role(unique("NoCustomers"))]
    db.session.commit()
    assert client.get(LIST).status_code == 403


def test_within_one_request_a_check_follows_a_role_change_another_user_and_deactivation(app, ctx, sales_copy):
    """has_access works a signed-in user's access out once per request, yet a role change announced
    in the request (clear_local), another user signed in, or a deactivated user is seen at once."""
    from flask_login import login_user, logout_user

    role, user = sales_copy
    sm = current_app.appbuilder.sm
    with app.test_request_context("/"):
        login_user(user)
        assert sm.has_access("can_read", "customers")
        user.roles = [sm.add_role(unique("NoCustomers"))]
        db.session.commit()
        permission_cache.clear_local()
        assert not sm.has_access("can_read", "customers")
        admin = db.session.scalar(select(type(user)).where(type(user).username == "admin"))
        login_user(admin)
        assert sm.has_access("can_read", "customers")
        logout_user()
        assert not sm.has_access("can_read", "customers")
        user.roles = [role]
        user.active = False
        db.session.commit()
        login_user(user, force=True)
        assert not sm.has_access("can_read", "customers")


def _version():
    return permission_cache.read_version(current_app.config)


def test_changes_of_access_rules_announce_a_new_version_and_others_do_not(app, ctx, sales_copy):
    role, user = sales_copy
    before = _version()
    user.login_count = (user.login_count or 0) + 1             # not about access
    db.session.commit()
    assert _version() == before
    user.roles = user.roles + [current_app.appbuilder.sm.find_role("ReadOnly")]   # a user's roles
    db.session.commit()
    assert _version() != before
    before = _version()
    db.session.add(RoleScope(role_id=role.id, module="customers", scope="department"))   # a data scope
    db.session.commit()
    assert _version() != before
    before = _version()
    db.session.execute(delete(RoleScope).where(RoleScope.role_id == role.id))           # in bulk
    db.session.commit()
    assert _version() != before
    before = _version()
    db.session.execute(delete(RoleScope).where(RoleScope.role_id == role.id))
    db.session.rollback()                                                                # undone
    assert _version() == before


def test_the_data_scope_comes_with_the_cached_roles(app, ctx, login, sales_copy):
    role, user = sales_copy
    db.session.add(RoleScope(role_id=role.id, module="customers", scope="department"))
    db.session.commit()
    sm = current_app.appbuilder.sm
    with app.test_request_context("/"):
        access = sm.access_of(db.session.get(type(user), user.id))
        assert access.scope("customers", "own") == "department"
        assert access.scope("contracts", "own") == "own"
        assert role.name in access.role_names
        admin = db.session.scalar(select(type(user)).where(type(user).username == "admin"))
        assert sm.access_of(admin).scope("customers", "own") == "all"


def test_without_redis_nothing_is_cached(app, ctx, login, statements, monkeypatch):
    client = login(make_user("Sales"))
    client.get(LIST)
    # Redis away: neither the request's first round trip nor a read of its own gives a version.
    from app.core import kept

    monkeypatch.setattr(kept, "_first_reads", [r for r in kept._first_reads if r[1] is not permission_cache._take_version])
    monkeypatch.setattr(permission_cache, "read_version", lambda config=None: None)
    statements.seen.clear()
    assert client.get(LIST).status_code == 200
    assert statements.touching(FAB_PERMISSION_TABLES), "each request reads the database when Redis is away"


def test_a_second_app_on_the_same_database_and_redis_sees_a_change_within_a_second(app, ctx, login, sales_copy):
    from app import create_app

    role, user = sales_copy
    keys = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "INSTANCE_DIR", "RQ_QUEUE", "WTF_CSRF_ENABLED", "TESTING",
            "FAB_PASSWORD_HASH_METHOD", "REDIS_URL")
    other = create_app(**{k: app.config[k] for k in keys})
    other.test_client_class = app.test_client_class
    with other.app_context():
        other_client = other.test_client()
        assert other_client.post("/login/", data={"username": user.username, "password": PASSWORD}).status_code == 302
        assert other_client.get(LIST).status_code == 200
        assert other_client.get(LIST).status_code == 200
    read = _read_pv(role)
    current_app.appbuilder.sm.del_permission_role(role, read)   # in the first app
    started = time.monotonic()
    with other.app_context():
        assert other_client.get(LIST).status_code == 403
    assert time.monotonic() - started < 1.0


# -- a real second process ------------------------------------------------------------------------------
SERVER = """
import sys
from werkzeug.serving import make_server
from app import create_app
app = create_app(SQLALCHEMY_DATABASE_URI=sys.argv[1], SECRET_KEY=sys.argv[2], INSTANCE_DIR=sys.argv[3],
                 RQ_QUEUE=sys.argv[4], FAB_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000", RATE_LIMITS_ENABLED=False)
make_server("127.0.0.1", int(sys.argv[5]), app, threaded=False).serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sign_in(base: str, username: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/login/", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"username": username, "password": PASSWORD, **({"csrf_token": token.group(1)} if token else {})}
    assert browser.post(f"{base}/login/", data=data, allow_redirects=False, timeout=30).status_code == 302
    return browser


def _status_within(browser, url, wanted, seconds) -> float:
    started = time.monotonic()
    while True:
        status = browser.get(url, allow_redirects=False, timeout=30).status_code
        elapsed = time.monotonic() - started
        if status == wanted or elapsed > seconds:
            assert status == wanted, f"still {status} after {elapsed:.2f} s"
            return elapsed
        time.sleep(0.05)


def test_another_process_sees_a_revoked_permission_within_a_second(app, ctx, sales_copy, instance_dir):
    role, user = sales_copy
    port = _free_port()
    from app.core.jobs import embedded_redis_url, open_embedded_redis

    redis_url = app.config["REDIS_URL"] or embedded_redis_url(open_embedded_redis(app.config["INSTANCE_DIR"]))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": redis_url}
    server = subprocess.Popen([sys.executable, "-c", SERVER, app.config["SQLALCHEMY_DATABASE_URI"],
                               app.config["SECRET_KEY"], str(instance_dir), app.config["RQ_QUEUE"], str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                time.sleep(0.2)
        browser = _sign_in(base, user.username)
        assert browser.get(base + LIST, timeout=30).status_code == 200
        assert browser.get(base + LIST, timeout=30).status_code == 200      # warm in that process
        sm = current_app.appbuilder.sm
        read = _read_pv(role)
        sm.del_permission_role(role, read)                                 # changed in this process
        assert _status_within(browser, base + LIST, 403, 1.0) < 1.0
        sm.add_permission_role(role, read)
        assert _status_within(browser, base + LIST, 200, 1.0) < 1.0
    finally:
        server.terminate()
        server.wait(timeout=15)
