"""系统管理 ▸ 自定义字段 beyond adding: order, what an edit may change, every change in the audit
trail and renewed at once; and a record's edit that started before someone else's saved change of
a custom field is refused like any other stale save."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, select

from app.core.audit import AuditLog
from app.core.custom_fields import service
from app.core.custom_fields.definitions import DEFINITIONS, fields_of
from app.core.custom_fields.models import CustomField
from app.extensions import db
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.core.test_lost_updates import EditForm
from tests.factories import make_customer


@pytest.fixture
def made(org):
    names: list[str] = []
    yield names
    db.session.rollback()
    db.session.execute(delete(CustomField).where(CustomField.name.in_(names)))
    db.session.commit()


def _tag() -> str:
    return re.sub(r"[^a-z0-9]", "", unique("a").lower())[-8:]


def _add(org, made, name, kind="text", module="contracts", **extra):
    made.append(name)
    return service.create_field(org.admin, module, name, f"标签{name}", kind, **extra)


def _order(module="contracts") -> list[str]:
    return [f.name for f in fields_of(module)]


def test_fields_move_up_and_down_and_the_list_shows_them_in_order(org, login, made):
    tag = _tag()
    one, two, three = (_add(org, made, f"{n}_{tag}") for n in ("one", "two", "three"))
    mine = lambda: [n for n in _order() if n.endswith(tag)]   # noqa: E731
    assert mine() == [one.name, two.name, three.name]
    admin = login(org.admin)
    assert admin.post(f"/custom-fields/{three.id}/move", data={"direction": "up"}).status_code == 302
    assert mine() == [one.name, three.name, two.name]
    assert admin.post(f"/custom-fields/{one.id}/move", data={"direction": "down"}).status_code == 302
    assert mine() == [three.name, one.name, two.name]
    page = admin.get("/custom-fields/?module=contracts").get_data(as_text=True)
    assert page.index(three.name) < page.index(one.name) < page.index(two.name)
    # 停用 asks first, through the page's script (an inline handler would be blocked by the page's policy)
    retire = page[page.index(f'action="/custom-fields/{one.id}/retire"'):]
    retire = retire[:retire.index(">")]
    assert 'data-confirm="停用此字段？' in retire
    assert "onsubmit=" not in page
    service.reorder(org.admin, "contracts", [two.id, one.id, three.id])
    assert mine()[:3] == [two.name, one.name, three.name]
    with pytest.raises(Exception):
        service.reorder(org.admin, "customers", [two.id])      # a field of another module


def test_an_edit_changes_the_label_help_and_choices_never_the_name_or_kind(org, login, made):
    tag = _tag()
    row = _add(org, made, f"grade_{tag}", "choice", choices="a=甲\nb=乙", default="a")
    admin = login(org.admin)
    answer = admin.post(f"/custom-fields/{row.id}/edit",
                        data={"label": "新标签", "help_text": "说明", "choices": "a=甲等\nb=乙等\nc=丙等", "default": "b",
                              "name": "renamed", "kind": "integer", "position": "5"})
    assert answer.status_code == 302
    field = next(f for f in fields_of("contracts") if f.id == row.id)
    assert (field.name, field.kind, field.label, field.help_text) == (f"grade_{tag}", "choice", "新标签", "说明")
    assert field.choices == (("a", "甲等"), ("b", "乙等"), ("c", "丙等")) and field.default == "b" and field.position == 5

    # Removing the choice the default is, or giving a choice twice, is refused and changes nothing.
    for bad in ({"label": "x", "choices": "a=甲等"}, {"label": "x", "choices": "a=甲\na=乙", "default": ""},
                {"label": "", "choices": "a=甲等\nb=乙等"}):
        refused = admin.post(f"/custom-fields/{row.id}/edit", data=bad)
        assert refused.status_code == 400, bad
        assert re.search(r"[\u4e00-\u9fff]", refused.get_data(as_text=True))
    field = next(f for f in fields_of("contracts") if f.id == row.id)
    assert field.label == "新标签" and len(field.choices) == 3


def test_every_change_of_a_definition_is_audited_and_renewed_at_once(org, made):
    tag = _tag()
    before = db.session.scalar(select(func.max(AuditLog.id))) or 0
    row = _add(org, made, f"audited_{tag}")
    token = DEFINITIONS.get()
    service.update_field(org.admin, row.id, label="改过的标签")
    assert next(f for f in fields_of("contracts") if f.id == row.id).label == "改过的标签"
    service.retire_field(org.admin, row.id)
    assert row.id not in [f.id for f in fields_of("contracts")]
    assert row.id in [f.id for f in fields_of("contracts", retired=True)]
    service.restore_field(org.admin, row.id)
    assert DEFINITIONS.get() is not token
    entries = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "custom_field",
                                                        AuditLog.record_id == str(row.id),
                                                        AuditLog.id > before).order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["create", "update", "update", "update"]
    assert all(e.actor_id == org.admin.id for e in entries)
    assert entries[1].changes["label"] == [f"标签audited_{tag}", "改过的标签"]
    assert entries[2].changes["retired"] == [False, True]


def test_definition_rules_say_what_is_wrong_in_chinese(org, login, made):
    admin = login(org.admin)
    tag = _tag()
    _add(org, made, f"taken_{tag}", module="customers")
    cases = {
        "Bad-Name": "小写字母",
        "credit_limit": "已",            # a native column of customers
        f"taken_{tag}": "已",
    }
    for name, words in cases.items():
        answer = admin.post("/custom-fields/new", data={"module": "customers", "name": name, "label": "x", "kind": "text"})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400 and words in page, (name, page[-2000:])
    answer = admin.post("/custom-fields/new", data={"module": "customers", "name": f"ch_{tag}", "label": "x",
                                                    "kind": "multichoice", "choices": ""})
    assert answer.status_code == 400 and "选项" in answer.get_data(as_text=True)
    answer = admin.post("/custom-fields/new", data={"module": "customers", "name": f"dt_{tag}", "label": "x",
                                                    "kind": "date", "default": "不是日期"})
    assert answer.status_code == 400 and "默认" in answer.get_data(as_text=True)


def test_a_stale_edit_of_a_custom_value_is_refused_and_keeps_the_saved_one(org, login, made):
    tag = _tag()
    name = f"stage_{tag}"
    _add(org, made, name, module="customers")
    customer = make_customer(org.east_rep)
    lina, zhangwei = login(org.east_rep), login(org.manager)
    his = EditForm(zhangwei.get(f"/customers/edit/{customer.id}").get_data(as_text=True)).values
    hers = EditForm(lina.get(f"/customers/edit/{customer.id}").get_data(as_text=True)).values
    assert f"custom__{name}" in his
    assert lina.post(f"/customers/edit/{customer.id}", data={**hers, f"custom__{name}": ["她的值"]}).status_code == 302
    refused = zhangwei.post(f"/customers/edit/{customer.id}", data={**his, f"custom__{name}": ["他的值"]})
    assert refused.status_code == 409
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).custom == {name: "她的值"}
    again = EditForm(refused.get_data(as_text=True)).values
    assert again[f"custom__{name}"] == ["他的值"]
    assert zhangwei.post(f"/customers/edit/{customer.id}", data=again).status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).custom == {name: "他的值"}


@pytest.mark.parametrize("kind", ["choice", "multichoice"])
def test_a_choice_records_hold_may_be_relabelled_not_removed(org, login, made, kind):
    tag = _tag()
    row = _add(org, made, f"held_{tag}", kind, module="customers", choices="a_1=甲\nb%=乙\nc=丙")
    customer = make_customer(org.east_rep)
    customer.custom = {row.name: "a_1" if kind == "choice" else ["a_1", "c"]}
    db.session.commit()
    admin = login(org.admin)
    refused = admin.post(f"/custom-fields/{row.id}/edit", data={"label": "x", "choices": "b%=乙\nc=丙"})
    assert refused.status_code == 400 and "a_1" in refused.get_data(as_text=True) and "只能改名" in refused.get_data(as_text=True)
    assert admin.post(f"/custom-fields/{row.id}/edit", data={"label": "x", "choices": "a_1=甲等\nc=丙"}).status_code == 302
    field = next(f for f in fields_of("customers") if f.id == row.id)
    assert field.choices == (("a_1", "甲等"), ("c", "丙"))
    if kind == "multichoice":
        refused = admin.post(f"/custom-fields/{row.id}/edit", data={"label": "x", "choices": "a_1=甲等"})
        assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).custom[row.name] in ("a_1", ["a_1", "c"])
