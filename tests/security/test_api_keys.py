"""Personal API keys: shown once, listed by name and prefix only, act exactly as their owner
(permissions and data scope), and are refused (401) once revoked, expired or when the owner is
deactivated. Only the owner or an admin can revoke a key."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from app.core.clock import utcnow
from app.extensions import db
from app.security import apikeys
from tests.factories import make_customer, make_user

KEY = re.compile(r"sst_[A-Za-z0-9_\-]{30,}")


def create_on_page(client, name="ERP 同步", expires_on=""):
    resp = client.post("/apikeys/create", data={"name": name, "expires_on": expires_on})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    found = KEY.findall(resp.get_data(as_text=True))
    assert len(set(found)) == 1
    return found[0], resp


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def key_row(raw_key: str):
    from flask_appbuilder.security.sqla.models import ApiKey

    db.session.expire_all()
    return db.session.scalar(select(ApiKey).where(ApiKey.key_prefix == raw_key[:12]))


def test_a_new_key_is_shown_once_and_never_again(org, login):
    client = login(org.east_rep)
    raw_key, resp = create_on_page(client, name="开票系统")
    assert resp.headers["Cache-Control"] == "no-store"

    listing = client.get("/apikeys/").get_data(as_text=True)
    assert "开票系统" in listing and raw_key[:12] in listing
    assert raw_key not in listing and not KEY.search(listing)
    stored = key_row(raw_key)
    assert stored.user_id == org.east_rep.id and raw_key not in (stored.key_hash, stored.lookup_hash)


def test_the_key_acts_as_its_owner_with_the_owners_data_scope(org, login, app):
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact

    mine = make_customer(org.east_rep, name="密钥本人客户")
    colleague = make_customer(org.east_rep2, name="密钥同事客户")
    create_contact(org.admin, Contact(customer_id=mine.id, name="密钥本人联系人"))
    create_contact(org.admin, Contact(customer_id=colleague.id, name="密钥同事联系人"))
    raw_key, _resp = create_on_page(login(org.east_rep))
    api = app.test_client()

    listed = api.get("/api/v1/customers/", headers=bearer(raw_key))
    assert listed.status_code == 200
    names = {row["name"] for row in listed.get_json()["result"]}
    assert "密钥本人客户" in names and "密钥同事客户" not in names
    assert api.get(f"/api/v1/customers/{mine.id}", headers=bearer(raw_key)).status_code == 200
    assert api.get(f"/api/v1/customers/{colleague.id}", headers=bearer(raw_key)).status_code == 404
    contacts = {row["name"] for row in api.get("/api/v1/contacts/", headers=bearer(raw_key)).get_json()["result"]}
    assert "密钥本人联系人" in contacts and "密钥同事联系人" not in contacts
    assert key_row(raw_key).last_used_on is not None

    # What the owner may do, the key may do, and it is done in the owner's name.
    created = api.post("/api/v1/customers/", json={"name": "密钥新建客户", "kind": "company"}, headers=bearer(raw_key))
    assert created.status_code == 201 and created.get_json()["result"]["owner_id"] == org.east_rep.id

    manager_key, _resp = create_on_page(login(org.manager))
    names = {row["name"] for row in api.get("/api/v1/customers/", headers=bearer(manager_key)).get_json()["result"]}
    assert {"密钥本人客户", "密钥同事客户"} <= names


def test_the_key_has_no_more_permissions_than_its_owner(org, login, app):
    customer = make_customer(org.east_rep)
    raw_key, _resp = create_on_page(login(org.readonly))
    api = app.test_client()
    assert api.get(f"/api/v1/customers/{customer.id}", headers=bearer(raw_key)).status_code == 200
    assert api.put(f"/api/v1/customers/{customer.id}", json={"notes": "改"}, headers=bearer(raw_key)).status_code == 403
    assert api.delete(f"/api/v1/customers/{customer.id}", headers=bearer(raw_key)).status_code == 403
    assert api.get("/api/v1/security/users/", headers=bearer(raw_key)).status_code == 403
    assert api.get("/api/v1/security/api_keys/", headers=bearer(raw_key)).status_code == 403


def test_a_revoked_key_is_refused(org, login, app):
    client = login(org.east_rep)
    raw_key, _resp = create_on_page(client)
    api = app.test_client()
    assert api.get("/api/v1/customers/", headers=bearer(raw_key)).status_code == 200
    uuid = key_row(raw_key).uuid

    confirm = client.get(f"/apikeys/{uuid}/revoke")
    assert confirm.status_code == 200 and "zwt-revoke-form" in confirm.get_data(as_text=True)
    assert api.get("/api/v1/customers/", headers=bearer(raw_key)).status_code == 200, "asking is not revoking"
    assert client.post(f"/apikeys/{uuid}/revoke").status_code == 302

    refused = api.get("/api/v1/customers/", headers=bearer(raw_key))
    assert refused.status_code == 401 and "result" not in refused.get_json()
    listing = client.get("/apikeys/").get_data(as_text=True)
    assert f"/apikeys/{uuid}/revoke" not in listing


def test_keys_of_a_deactivated_user_are_refused(org, login, app):
    from app.core.org import User

    user = make_user("Sales", org.east)
    make_customer(user, name="停用用户客户")
    raw_key, _resp = create_on_page(login(user))
    api = app.test_client()
    assert api.get("/api/v1/customers/", headers=bearer(raw_key)).status_code == 200

    db.session.get(User, user.id).active = False
    db.session.commit()
    refused = api.get("/api/v1/customers/", headers=bearer(raw_key))
    assert refused.status_code == 401 and "停用用户客户" not in refused.get_data(as_text=True)


def test_an_expired_key_is_refused(org, app, monkeypatch):
    key, raw_key = apikeys.create_key(org.east_rep, "一小时", expires_on=utcnow() + dt.timedelta(hours=1))
    api = app.test_client()
    assert api.get("/api/v1/customers/", headers=bearer(raw_key)).status_code == 200
    later = utcnow() + dt.timedelta(hours=2)
    monkeypatch.setattr(apikeys, "utcnow", lambda: later)
    assert api.get("/api/v1/customers/", headers=bearer(raw_key)).status_code == 401


@pytest.mark.parametrize("header", ["Bearer sst_not-a-real-key-0123456789abcdefghijklmn", "Bearer sst_x"])
def test_unknown_keys_are_refused(header, app):
    resp = app.test_client().get("/api/v1/customers/", headers={"Authorization": header})
    assert resp.status_code == 401


def test_a_user_cannot_revoke_or_see_someone_elses_key(org, login, app):
    raw_key, _resp = create_on_page(login(org.east_rep), name="别人的钥匙")
    uuid = key_row(raw_key).uuid
    other = login(org.east_rep2)
    assert other.get(f"/apikeys/{uuid}/revoke").status_code == 404
    assert other.post(f"/apikeys/{uuid}/revoke").status_code == 404
    assert "别人的钥匙" not in other.get("/apikeys/").get_data(as_text=True)
    assert other.get("/apikeys/all").status_code == 403
    assert app.test_client().get("/api/v1/customers/", headers=bearer(raw_key)).status_code == 200


def test_an_admin_sees_and_revokes_anyones_key_and_the_owner_is_told(org, login, app):
    from app.core.notify import Notification

    raw_key, _resp = create_on_page(login(org.south_rep), name="华南对接")
    uuid = key_row(raw_key).uuid
    admin = login(org.admin)
    everyone = admin.get("/apikeys/all").get_data(as_text=True)
    assert "华南对接" in everyone and org.south_rep.username in everyone and raw_key not in everyone

    assert admin.get(f"/apikeys/{uuid}/revoke?next=all").status_code == 200
    resp = admin.post(f"/apikeys/{uuid}/revoke", data={"next": "all"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/apikeys/all")
    assert app.test_client().get("/api/v1/customers/", headers=bearer(raw_key)).status_code == 401
    db.session.expire_all()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == org.south_rep.id)).all()
    assert any("华南对接" in n.title for n in notes)


def test_the_form_explains_what_is_wrong(org, login):
    client = login(org.east_rep)
    empty = client.post("/apikeys/create", data={"name": "  ", "expires_on": ""})
    assert empty.status_code == 400 and not KEY.search(empty.get_data(as_text=True))
    past = client.post("/apikeys/create", data={"name": "过期", "expires_on": "2001-01-01"})
    assert past.status_code == 400 and 'value="过期"' in past.get_data(as_text=True)
    bad = client.post("/apikeys/create", data={"name": "格式", "expires_on": "明天"})
    assert bad.status_code == 400
    create_on_page(client, name="唯一")
    assert client.post("/apikeys/create", data={"name": "唯一"}).status_code == 400
    assert "过期" not in client.get("/apikeys/").get_data(as_text=True)


def test_a_key_expiring_on_a_day_works_until_the_end_of_that_day_locally(org, app):
    with app.test_request_context():
        # 2026-03-01 in Shanghai ends at 2026-03-01 16:00 UTC.
        now = dt.datetime(2026, 2, 28, 12, 0)
        assert apikeys.expiry_from_date(dt.date(2026, 3, 1), now) == dt.datetime(2026, 3, 1, 16, 0)
        assert apikeys.expiry_from_date(None, now) is None
        with pytest.raises(apikeys.DomainError):
            apikeys.expiry_from_date(dt.date(2026, 2, 27), now)


def test_my_api_keys_page_needs_a_signed_in_user(app):
    client = app.test_client()
    assert client.get("/apikeys/").status_code == 302
    assert client.post("/apikeys/create", data={"name": "x"}).status_code == 302
