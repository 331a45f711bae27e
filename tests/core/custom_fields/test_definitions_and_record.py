"""Custom fields (自定义字段): an admin adds a field on 系统管理 ▸ 自定义字段 and it is at once in the
module's add, edit and detail pages and its REST API; values are checked like native ones; a
retired field hides and keeps its data; a clerk cannot change definitions."""
import datetime as dt
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from app.core.custom_fields.definitions import FieldDef, fields_of
from app.core.custom_fields.models import CustomField
from app.core.custom_fields.values import CustomValueError, coerce, display, dump, expression, load
from app.extensions import db
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.factories import make_customer


def _tag() -> str:
    return re.sub(r"[^a-z0-9]", "", unique("f").lower())[-8:]


@pytest.fixture
def cleanup():
    made = []
    yield made
    db.session.rollback()
    db.session.execute(delete(CustomField).where(CustomField.module.in_(["customers", "contracts"]),
                                                 CustomField.name.in_(made)))
    db.session.commit()


def _add(client, module="customers", **form):
    data = {"module": module, "kind": "text", **form}
    return client.post("/custom-fields/new", data=data)


# -- values --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,raw,expected", [
    ("text", "  华东 ", "华东"), ("integer", "1,200", 1200), ("integer", 7, 7), ("decimal", "¥1,234.50", Decimal("1234.5")),
    ("decimal", 12.25, Decimal("12.25")), ("date", "2026/3/31", dt.date(2026, 3, 31)),
    ("date", "2026年3月31日", dt.date(2026, 3, 31)),
    ("datetime", "2026-03-31T10:00:00+08:00", dt.datetime(2026, 3, 31, 2, 0)),
    ("choice", "重要", "a"), ("choice", "b", "b"), ("multichoice", "一般，重要", ["a", "b"]),
    ("multichoice", ["b"], ["b"]), ("boolean", "是", True), ("boolean", False, False), ("boolean", "N", False),
])
def test_given_values_become_typed_values_and_back(kind, raw, expected):
    field = FieldDef(module="customers", name="x", label="字段", kind=kind, choices=(("a", "重要"), ("b", "一般")))
    value = coerce(field, raw)
    assert value == expected
    assert load(field, dump(field, value)) == expected


@pytest.mark.parametrize("kind,raw", [
    ("integer", "1.5"), ("integer", True), ("integer", "十"), ("decimal", "abc"), ("decimal", "1e400"),
    ("date", "2026-02-30"), ("date", "昨天"), ("datetime", "later"), ("choice", "紧急"), ("choice", ["a"]),
    ("multichoice", "a,紧急"), ("boolean", "maybe"), ("text", "x" * 201), ("text", {"a": 1}),
])
def test_bad_values_are_refused_with_the_fields_label(kind, raw):
    field = FieldDef(module="customers", name="x", label="客户级别", kind=kind, choices=(("a", "重要"), ("b", "一般")))
    with pytest.raises(CustomValueError) as refused:
        coerce(field, raw)
    assert refused.value.message.startswith("客户级别：")


def test_required_and_empty_values():
    field = FieldDef(module="customers", name="x", label="级别", kind="text", required=True)
    with pytest.raises(CustomValueError):
        coerce(field, "  ")
    assert coerce(FieldDef(module="customers", name="x", label="级别", kind="text"), "") is None


def test_user_fields_take_an_active_user_by_id_or_user_name(org):
    field = FieldDef(module="customers", name="x", label="对接人", kind="user")
    assert coerce(field, org.east_rep.username) == org.east_rep.id
    assert coerce(field, org.east_rep.id) == org.east_rep.id
    with pytest.raises(CustomValueError):
        coerce(field, "nobody-" + unique())


def test_the_sql_expression_filters_and_sorts_by_the_typed_value(org, cleanup):
    tag = _tag()
    budget = FieldDef(module="customers", name=f"budget_{tag}", label="预算", kind="decimal")
    a, b, c = (make_customer(org.east_rep) for _ in range(3))
    for item, amount in ((a, "900"), (b, "10000.5"), (c, None)):
        item.custom = {budget.name: dump(budget, Decimal(amount))} if amount else {}
    db.session.commit()
    expr = expression(Customer, budget)
    ids = [a.id, b.id, c.id]
    found = db.session.scalars(select(Customer.id).where(Customer.id.in_(ids), expr > 1000)).all()
    assert found == [b.id]
    ordered = db.session.scalars(select(Customer.id).where(Customer.id.in_(ids), expr.isnot(None)).order_by(expr)).all()
    assert ordered == [a.id, b.id]          # 900 before 10000.5: numbers, not text


# -- the admin screen ----------------------------------------------------------------------------
def test_an_admin_adds_a_field_and_every_screen_has_it_at_once(org, login, cleanup):
    tag = _tag()
    name = f"level_{tag}"
    cleanup.append(name)
    admin = login(org.admin)
    assert admin.get("/custom-fields/").status_code == 200
    answer = _add(admin, name=name, label=f"客户级别{tag}", kind="choice", choices="a=重要\nb=一般", required="1",
                  help_text="按年采购额")
    assert answer.status_code == 302
    assert [f.name for f in fields_of("customers")][-1] == name

    rep = login(org.east_rep)
    page = rep.get("/customers/add").get_data(as_text=True)
    assert f"custom__{name}" in page and f"客户级别{tag}" in page and "按年采购额" in page

    refused = rep.post("/customers/add", data={"name": unique("客户"), "kind": "company", "status": "potential",
                                                "credit_limit": "0", "owner": str(org.east_rep.id), f"custom__{name}": ""})
    assert refused.status_code == 200 and f"custom__{name}-error" in refused.get_data(as_text=True)
    customer_name = unique("客户")
    saved = rep.post("/customers/add", data={"name": customer_name, "kind": "company", "status": "potential",
                                              "credit_limit": "0", "owner": str(org.east_rep.id), f"custom__{name}": "a"})
    assert saved.status_code == 302
    item = db.session.scalars(select(Customer).where(Customer.name == customer_name)).one()
    assert item.custom == {name: "a"}
    show = rep.get(f"/customers/show/{item.id}").get_data(as_text=True)
    assert f"客户级别{tag}" in show and "重要" in show


def test_editing_keeps_other_values_and_checks_the_new_one(org, login, cleanup):
    tag = _tag()
    budget, note = f"budget_{tag}", f"note_{tag}"
    cleanup.extend([budget, note])
    admin = login(org.admin)
    assert _add(admin, name=budget, label=f"预算{tag}", kind="decimal").status_code == 302
    assert _add(admin, name=note, label=f"备注{tag}", kind="text").status_code == 302
    customer = make_customer(org.east_rep)
    customer.custom = {note: "保留"}
    db.session.commit()
    rep = login(org.east_rep)
    form = rep.get(f"/customers/edit/{customer.id}").get_data(as_text=True)
    version = re.search(r'name="zwt_version"[^>]*value="([^"]+)"', form) or re.search(r'value="([^"]+)"[^>]*name="zwt_version"', form)
    data = {"name": customer.name, "kind": customer.kind, "status": customer.status, "credit_limit": "0",
            "owner": str(org.east_rep.id), f"custom__{budget}": "很多",
            f"custom__{note}": "保留"}
    if version:
        data["zwt_version"] = version.group(1)
    bad = rep.post(f"/customers/edit/{customer.id}", data=data)
    assert bad.status_code == 200 and f"custom__{budget}-error" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).custom == {note: "保留"}
    data[f"custom__{budget}"] = "1,500.5"
    assert rep.post(f"/customers/edit/{customer.id}", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).custom == {note: "保留", budget: "1500.5"}


def test_definitions_are_checked(org, login, cleanup):
    admin = login(org.admin)
    tag = _tag()
    cleanup.append(f"dup_{tag}")
    for bad in ({"name": "Bad Name", "label": "x"}, {"name": "name", "label": "x"},
                {"name": f"c_{tag}", "label": "x", "kind": "choice", "choices": ""},
                {"name": f"d_{tag}", "label": "x", "kind": "integer", "default": "abc"},
                {"name": f"e_{tag}", "label": "", "kind": "text"}, {"name": f"k_{tag}", "label": "x", "kind": "nope"}):
        answer = _add(admin, **bad)
        assert answer.status_code == 400, bad
    assert _add(admin, name=f"dup_{tag}", label="一").status_code == 302
    assert _add(admin, name=f"dup_{tag}", label="二").status_code == 400
    assert _add(admin, module="no_such_module", name=f"z_{tag}", label="x").status_code == 404
    assert db.session.scalar(select(CustomField.id).where(CustomField.name.in_(
        [f"c_{tag}", f"d_{tag}", f"e_{tag}", f"k_{tag}"]))) is None


def test_a_clerk_may_not_change_definitions(org, login, cleanup):
    tag = _tag()
    rep = login(org.east_rep)
    assert rep.get("/custom-fields/").status_code in (302, 403)
    answer = _add(rep, name=f"x_{tag}", label="x")
    assert answer.status_code in (302, 403)
    assert db.session.scalar(select(CustomField.id).where(CustomField.name == f"x_{tag}")) is None


def test_retiring_hides_and_keeps_the_data_and_a_new_label_keeps_it_too(org, login, cleanup):
    tag = _tag()
    name = f"region_{tag}"
    cleanup.append(name)
    admin = login(org.admin)
    assert _add(admin, name=name, label=f"片区{tag}").status_code == 302
    row = db.session.scalars(select(CustomField).where(CustomField.name == name)).one()
    customer = make_customer(org.east_rep)
    customer.custom = {name: "华东一区"}
    db.session.commit()
    assert admin.post(f"/custom-fields/{row.id}/edit", data={"label": f"销售片区{tag}"}).status_code == 302
    admin.get("/custom-fields/")
    show = admin.get(f"/customers/show/{customer.id}").get_data(as_text=True)
    assert f"销售片区{tag}" in show and "华东一区" in show
    assert admin.post(f"/custom-fields/{row.id}/retire").status_code == 302
    admin.get("/custom-fields/")          # the notice about retiring is shown there
    show = admin.get(f"/customers/show/{customer.id}").get_data(as_text=True)
    assert f"销售片区{tag}" not in show and f"custom__{name}" not in admin.get(f"/customers/edit/{customer.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).custom == {name: "华东一区"}
    assert admin.post(f"/custom-fields/{row.id}/restore").status_code == 302
    assert "华东一区" in admin.get(f"/customers/show/{customer.id}").get_data(as_text=True)


# -- REST API and OpenAPI --------------------------------------------------------------------------
def test_the_api_reads_and_writes_custom_values(org, login, api_token, app, cleanup):
    tag = _tag()
    level, budget = f"level_{tag}", f"budget_{tag}"
    cleanup.extend([level, budget])
    admin = login(org.admin)
    assert _add(admin, name=level, label=f"级别{tag}", kind="choice", choices="a=重要\nb=一般").status_code == 302
    assert _add(admin, name=budget, label=f"预算{tag}", kind="decimal").status_code == 302
    client = app.test_client()
    headers = api_token(org.east_rep)
    body = {"name": unique("API客户"), "kind": "company", "status": "potential",
            "custom": {level: "重要", budget: "2,000"}}
    created = client.post("/api/v1/customers/", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    assert created.get_json()["result"]["custom"] == {level: "a", budget: "2000"}
    shown = client.get(f"/api/v1/customers/{pk}", headers=headers).get_json()
    assert shown["result"]["custom"] == {level: "a", budget: "2000"}

    for bad in ({level: "紧急"}, {budget: "很多"}, {"nope": 1}, "text"):
        answer = client.put(f"/api/v1/customers/{pk}", json={"custom": bad}, headers=headers)
        assert answer.status_code == 400, (bad, answer.get_json())
    db.session.expire_all()
    assert db.session.get(Customer, pk).custom == {level: "a", budget: "2000"}
    assert client.put(f"/api/v1/customers/{pk}", json={"custom": {budget: None}}, headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(Customer, pk).custom == {level: "a"}

    spec = client.get("/api/v1/_openapi", headers=api_token(org.admin)).get_json()
    described = spec["components"]["schemas"]["CustomerApi.post"]["properties"]["custom"]["properties"]
    assert described[level]["enum"] == ["a", "b"] and described[budget]["format"] == "decimal"


def test_a_new_field_is_seen_by_another_process_without_a_restart(org, app, cleanup):
    """A second process (as a worker or another gunicorn worker is) started before the field
    existed sees it at its next look."""
    tag = _tag()
    name = f"proc_{tag}"
    cleanup.append(name)
    script = (
        "import os, sys, time\n"
        "import app\n"
        "application = app.create_app()\n"
        "from app.core.custom_fields.definitions import fields_of\n"
        "with application.app_context():\n"
        f"    before = [f.name for f in fields_of('customers')]\n"
        "    print('ready', flush=True)\n"
        "    sys.stdin.readline()\n"
        f"    after = [f.name for f in fields_of('customers')]\n"
        f"    print({name!r} in before, {name!r} in after, flush=True)\n"
    )
    import os

    from app.core.jobs import embedded_redis_url, redis_connection

    redis_url = app.config["REDIS_URL"] or embedded_redis_url(redis_connection(app.config))
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=redis_url,
               RQ_QUEUE=app.config["RQ_QUEUE"], ZWT_INSTANCE_DIR=app.config["INSTANCE_DIR"], LOG_LEVEL="ERROR")
    other = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env=env, cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    try:
        assert other.stdout.readline().strip() == "ready"
        from app.core.custom_fields import service

        service.create_field(org.admin, "customers", {"name": name, "label": "跨进程", "kind": "text"})
        out, _err = other.communicate("go\n", timeout=60)
    finally:
        if other.poll() is None:
            other.kill()
    assert out.split() == ["False", "True"]


def test_whole_numbers_beyond_32_bits_filter_and_sort(org, cleanup):
    tag = _tag()
    count = FieldDef(module="customers", name=f"count_{tag}", label="数量", kind="integer")
    a, b = make_customer(org.east_rep), make_customer(org.east_rep)
    a.custom = {count.name: dump(count, coerce(count, "3,000,000,000"))}
    b.custom = {count.name: dump(count, coerce(count, "5"))}
    db.session.commit()
    expr = expression(Customer, count)
    ids = [a.id, b.id]
    assert db.session.scalars(select(Customer.id).where(Customer.id.in_(ids)).order_by(expr)).all() == [b.id, a.id]
    assert db.session.scalars(select(Customer.id).where(Customer.id.in_(ids), expr > 2 ** 31)).all() == [a.id]
