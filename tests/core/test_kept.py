"""Small rows every page reads (site name, a module's settings, a user's list columns) are kept
per process and invalidated through Redis: a warm page reads none of them, and a change made
anywhere — this process, another app on the same database and Redis, a rolled-back attempt —
shows exactly when it is committed."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from app.core import kept
from app.core.preferences import SiteSetting, UserPreference, get_preference, set_preference
from app.extensions import db
from tests.factories import make_customer

LIST = "/customers/list/"
KEPT_TABLES = ("site_setting", "user_preference", "customer_settings")


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def _after(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "after_cursor_execute", _after)
    yield seen
    event.remove(db.engine, "after_cursor_execute", _after)


def _touching(seen, tables=KEPT_TABLES) -> list[str]:
    return [s for s in seen if any(f"FROM {t}" in s for t in tables)]



def _default_name():
    row = db.session.get(SiteSetting, "company_name")
    if row is not None:
        db.session.delete(row)
    db.session.commit()


def test_a_warm_list_page_reads_no_kept_table(app, ctx, org, login, statements):
    make_customer(org.east_rep)
    db.session.commit()
    client = login(org.east_rep)
    client.get(LIST).close()
    statements.clear()
    assert client.get(LIST).status_code == 200
    assert _touching(statements) == []


def test_a_committed_change_of_the_site_name_shows_on_the_next_page(app, ctx, org, login):
    from app.core.branding import set_branding

    client = login(org.east_rep)
    client.get(LIST).close()
    set_branding(org.admin, "星河商贸有限公司", None)
    db.session.commit()
    assert "星河商贸有限公司" in client.get(LIST).get_data(as_text=True)
    _default_name()
    assert "星河商贸有限公司" not in client.get(LIST).get_data(as_text=True)


def test_a_rolled_back_change_is_never_shown(app, ctx, org, login):
    client = login(org.east_rep)
    client.get(LIST).close()
    db.session.merge(SiteSetting(key="company_name", value=json.dumps("未提交的名称")))
    db.session.flush()
    db.session.rollback()
    assert "未提交的名称" not in client.get(LIST).get_data(as_text=True)


def test_a_preference_read_in_its_own_transaction_is_what_it_wrote(app, ctx, org):
    assert get_preference(org.east_rep.id, "zwt_test_columns") is None
    set_preference(org.east_rep.id, "zwt_test_columns", ["name", "code"])
    assert get_preference(org.east_rep.id, "zwt_test_columns") == ["name", "code"]
    db.session.commit()
    assert get_preference(org.east_rep.id, "zwt_test_columns") == ["name", "code"]
    db.session.query(UserPreference).filter_by(user_id=org.east_rep.id, key="zwt_test_columns").delete()
    db.session.commit()   # a bulk statement: every user's copy is dropped
    assert get_preference(org.east_rep.id, "zwt_test_columns") is None


def test_customer_settings_saved_by_an_admin_apply_at_once(app, ctx, org):
    from app.modules.customers import pool

    before = pool.get_settings().inactive_days
    with app.test_request_context("/"):
        pool.update_settings(org.admin, inactive_days=before + 7, auto_release=False)
    with app.test_request_context("/"):
        assert pool.get_settings().inactive_days == before + 7
    with app.test_request_context("/"):
        pool.update_settings(org.admin, inactive_days=before, auto_release=False)
    with app.test_request_context("/"):
        assert pool.get_settings().inactive_days == before


def test_a_second_app_on_the_same_database_and_redis_sees_a_change_at_its_next_request(app, ctx, org, login):
    from app import create_app
    from app.core.branding import set_branding

    keys = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "INSTANCE_DIR", "RQ_QUEUE", "WTF_CSRF_ENABLED", "TESTING",
            "FAB_PASSWORD_HASH_METHOD", "REDIS_URL")
    other = create_app(**{k: app.config[k] for k in keys if k in app.config})
    other.test_client_class = app.test_client_class
    with other.app_context():
        client = other.test_client()
        assert client.post("/login/", data={"username": org.east_rep.username, "password": "Passw0rd!"}).status_code == 302
        assert "远方的新名称" not in client.get(LIST).get_data(as_text=True)   # kept in the other app now
    set_branding(org.admin, "远方的新名称", None)   # in the first app
    db.session.commit()
    with other.app_context():
        assert "远方的新名称" in client.get(LIST).get_data(as_text=True)
        db.session.remove()
    _default_name()


def test_without_redis_every_request_reads_the_database(app, ctx, org, login, statements, monkeypatch):
    client = login(org.east_rep)
    client.get(LIST).close()
    from redis.exceptions import ConnectionError as RedisDown

    def away():
        raise RedisDown("Redis is away")

    monkeypatch.setattr(kept, "_redis", away)
    statements.clear()
    assert client.get(LIST).status_code == 200
    assert _touching(statements, ("site_setting",)), "each request reads the settings when Redis is away"
