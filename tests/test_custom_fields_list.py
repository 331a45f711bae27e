"""Custom fields in lists: an admin's new field is at once an optional, sortable column of the
column chooser, a filter of the advanced panel (with operators fitting its kind, as shareable
address arguments, and in the REST API), part of the search box, a column of CSV and XLSX
exports and a chart of the chart page. A bad filter value is refused in Chinese, never a 500;
data scope and permissions hold as for native columns; a saved view naming a retired field still
opens, without it, with a notice."""
from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from openpyxl import load_workbook

from app.extensions import db
from tests.conftest import unique
from tests.factories import make_customer, make_user


def _field(name, label, kind, choices=None, module="customers", position=0):
    from app.core.custom_fields.models import CustomField

    row = CustomField(module=module, name=name, label=label, kind=kind, required=False,
                      choices=[list(c) for c in choices] if choices else None, position=position, help_text="")
    db.session.add(row)
    db.session.commit()
    return row


def _put(customer, **values):
    from app.core.custom_fields.definitions import field_of
    from app.core.custom_fields.values import put

    for name, value in values.items():
        put(customer, name, value, field_of("customers", name))
    db.session.commit()


@pytest.fixture(scope="module")
def _module_fields(app):
    """Customers' custom fields of this file (unique names), made once and deleted afterwards: a
    module holds at most 100 of them."""
    from app.core.custom_fields.models import CustomField

    with app.app_context():
        token = unique("f")[:12].lower()
        made = {
            "level": _field(f"lv{token}", f"等级{token}", "choice", [("gold", "金牌"), ("silver", "银牌")], position=1),
            "staff": _field(f"st{token}", f"人数{token}", "integer", position=2),
            "budget": _field(f"bu{token}", f"预算{token}", "decimal", position=3),
            "since": _field(f"si{token}", f"签约日{token}", "date", position=4),
            "vip": _field(f"vi{token}", f"重点{token}", "boolean", position=5),
            "tags": _field(f"tg{token}", f"标记{token}", "multichoice", [("a", "甲"), ("b", "乙"), ("c", "丙")],
                           position=6),
            "motto": _field(f"mo{token}", f"口号{token}", "text", position=7),
        }
        names = {key: row.name for key, row in made.items()}
        labels = {key: row.label for key, row in made.items()}
        db.session.remove()
    yield names, labels
    with app.app_context():
        db.session.query(CustomField).filter(CustomField.name.in_(list(names.values()))).delete()
        db.session.commit()
        db.session.remove()


@pytest.fixture
def fields(ctx, _module_fields):
    return _module_fields


@pytest.fixture
def three(org, fields):
    """Three customers of the east rep with values, and one of another department's rep."""
    names, _labels = fields
    token = unique("cf")
    a = make_customer(org.east_rep, f"{token}甲")
    b = make_customer(org.east_rep, f"{token}乙")
    c = make_customer(org.east_rep, f"{token}丙")
    other = make_customer(org.south_rep, f"{token}丁")
    _put(a, **{names["level"]: "gold", names["staff"]: 15, names["budget"]: Decimal("1234.50"),
               names["since"]: __import__("datetime").date(2026, 1, 5), names["vip"]: True,
               names["tags"]: ["a", "b"], names["motto"]: f"诚信{token}为本"})
    _put(b, **{names["level"]: "silver", names["staff"]: 40, names["budget"]: Decimal("99.90"),
               names["since"]: __import__("datetime").date(2026, 3, 1), names["vip"]: False, names["tags"]: ["c"]})
    _put(c, **{names["staff"]: 5})
    _put(other, **{names["level"]: "gold", names["staff"]: 15})
    return token, a, b, c, other


def _names_in(page: str, token: str) -> list[str]:
    return re.findall(rf"{token}[甲乙丙丁]", page)


def _rows(page: str, token: str) -> list[str]:
    return list(dict.fromkeys(_names_in(page, token)))


# -- 1. columns --------------------------------------------------------------------------------------
def test_a_custom_field_is_an_optional_sortable_column_drawn_as_people_read_it(org, login, fields, three):
    names, labels = fields
    token, a, b, c, _other = three
    client = login(org.east_rep)
    plain = client.get(f"/customers/list/?q={token}").get_data(as_text=True)
    head = plain[plain.index("zwt-list-table"):plain.index("</thead>")]
    assert labels["level"] not in head                       # optional: not shown until chosen
    assert labels["level"] in plain                          # but offered by the column chooser
    columns = ["code", "name", f"cf_{names['level']}", f"cf_{names['budget']}", f"cf_{names['vip']}"]
    assert client.post("/customers/columns", data={"columns": columns}).status_code == 302
    page = client.get(f"/customers/list/?q={token}").get_data(as_text=True)
    head = page[page.index("zwt-list-table"):page.index("</thead>")]
    assert labels["level"] in head and labels["budget"] in head
    body = page[page.index("</thead>"):]
    assert "金牌" in body and "银牌" in body and "1,234.50" in body and "是" in body
    # staff: 甲 15, 乙 40, 丙 5 — sorted as numbers, not as text
    for direction, expected in (("asc", ["丙", "甲", "乙"]), ("desc", ["乙", "甲", "丙"])):
        url = f"/customers/list/?q={token}&_oc_CustomerView=cf_{names['staff']}&_od_CustomerView={direction}"
        resp = client.get(url)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:400]
        assert [n[-1] for n in _rows(resp.get_data(as_text=True), token)] == expected
    client.post("/customers/columns", data={"reset": "1"})


# -- 2. filters -------------------------------------------------------------------------------------
def test_custom_fields_filter_the_list_with_operators_fitting_their_kind(org, login, fields, three):
    names, _labels = fields
    token, a, b, c, other = three
    client = login(org.east_rep)

    def found(args: str) -> set:
        resp = client.get(f"/customers/list/?q={token}&{args}")
        assert resp.status_code == 200, (args, resp.get_data(as_text=True)[:400])
        return {n[-1] for n in _names_in(resp.get_data(as_text=True), token)}

    level, staff, budget, since, vip, tags, motto = (f"cf_{names[k]}" for k in
                                                     ("level", "staff", "budget", "since", "vip", "tags", "motto"))
    assert found(f"_flt_0_{level}=gold") == {"甲"}                     # scope: the south rep's 丁 is not listed
    assert found(f"_flt_0_{level}=gold&_flt_0_{level}=silver") == {"甲", "乙"}
    assert found(f"_flt_0_{staff}=15") == {"甲"}
    assert found(f"_flt_1_{staff}=10~40") == {"甲", "乙"}
    assert found(f"_flt_2_{staff}=10") == {"甲", "乙"}
    assert found(f"_flt_3_{staff}=10") == {"丙"}
    assert found(f"_flt_2_{budget}=100") == {"甲"}
    assert found(f"_flt_0_{since}=2026-03-01") == {"乙"}
    assert found(f"_flt_1_{since}=2026-01-01~2026-01-31") == {"甲"}
    assert found(f"_flt_0_{vip}=1") == {"甲"}
    assert found(f"_flt_0_{vip}=0") == {"乙", "丙"}
    assert found(f"_flt_0_{tags}=b&_flt_0_{tags}=c") == {"甲", "乙"}
    assert found(f"_flt_0_{motto}={quote('诚信')}") == {"甲"}
    assert found(f"_flt_1_{motto}={quote(f'诚信{token}为本')}") == {"甲"}
    # The panel offers each field with its operators.
    settings = client.get("/list-filters/customers").get_json()
    assert len(settings["filters"][level]) == 1
    assert len(settings["filters"][staff]) == 4 and "<select" in settings["fields"][level]


@pytest.mark.parametrize("args", ["_flt_0_cf_{staff}=abc", "_flt_1_cf_{staff}=1~", "_flt_0_cf_{since}=2026-13-01",
                                  "_flt_0_cf_{level}=platinum", "_flt_0_cf_{vip}=maybe", "_flt_7_cf_{staff}=1",
                                  "_flt_0_cf_{budget}=1e999"])
def test_a_bad_custom_filter_value_is_refused_in_chinese(org, login, fields, args):
    names, _labels = fields
    resp = login(org.east_rep).get("/customers/list/?" + args.format(**names))
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert re.search(r"[\u4e00-\u9fff]", text)


def test_the_rest_api_filters_on_custom_fields(org, api_token, fields, three):
    names, _labels = fields
    token, a, b, c, other = three
    from flask import current_app

    headers = api_token(org.east_rep)
    client = current_app.test_client()
    query = ("(filters:!((col:name,opr:ct,value:'%s'),(col:cf_%s,opr:in,value:!(gold))))" % (token, names["level"]))
    resp = client.get(f"/api/v1/customers/?q={quote(query)}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert [r["name"] for r in resp.get_json()["result"]] == [a.name]
    bad = "(filters:!((col:cf_%s,opr:gt,value:'abc')))" % names["staff"]
    resp = client.get(f"/api/v1/customers/?q={quote(bad)}", headers=headers)
    assert resp.status_code == 400


# -- 3. search ----------------------------------------------------------------------------------------
def test_the_search_box_finds_a_text_custom_field(org, login, fields, three):
    token, a, *_ = three
    page = login(org.east_rep).get(f"/customers/list/?q={quote('诚信' + token)}").get_data(as_text=True)
    assert set(_names_in(page, token)) == {a.name[-len(token) - 1:]}


# -- 4. exports -------------------------------------------------------------------------------------
def test_exports_hold_the_custom_fields_with_labels_and_numbers(org, login, fields, three):
    names, labels = fields
    token, a, b, c, other = three
    client = login(org.east_rep)
    resp = client.get(f"/customers/export/csv?q={token}")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    assert labels["level"] in header and labels["budget"] in header and labels["tags"] in header
    by_name = {row[header.index("客户名称")]: row for row in rows[1:]}
    assert set(by_name) == {a.name, b.name, c.name}                       # not the south rep's
    assert by_name[a.name][header.index(labels["level"])] == "金牌"
    assert by_name[a.name][header.index(labels["tags"])] == "甲、乙"
    assert by_name[a.name][header.index(labels["budget"])] == "1234.50"
    resp = client.get(f"/customers/export/xlsx?q={token}")
    sheet = load_workbook(io.BytesIO(resp.data)).active
    values = list(sheet.values)
    header = list(values[0])
    row = next(r for r in values[1:] if r[header.index("客户名称")] == a.name)
    assert row[header.index(labels["budget"])] == pytest.approx(1234.5)        # a number Excel sums
    assert row[header.index(labels["staff"])] == 15
    assert row[header.index(labels["vip"])] == "是"


def test_a_user_without_export_permission_is_refused_and_one_without_read_sees_no_list(org, login, fields):
    warehouse = make_user("Warehouse")
    db.session.commit()
    client = login(warehouse)
    assert client.get("/customers/export/csv").status_code in (302, 403)
    assert client.get("/contracts/list/").status_code in (302, 403)


# -- 5. charts ---------------------------------------------------------------------------------------
def test_the_chart_page_counts_records_by_a_choice_field(org, login, fields, three):
    names, labels = fields
    token, *_ = three
    client = login(org.east_rep)
    page = client.get("/customers/chart/").get_data(as_text=True)
    assert f"cf_{names['level']}.json" in page
    data = client.get(f"/customers/chart/cf_{names['level']}.json?q={token}").get_json()
    counts = dict(data["table"])
    assert counts["金牌"] == "1" and counts["银牌"] == "1" and sum(int(v) for v in counts.values()) == 3
    vip = client.get(f"/customers/chart/cf_{names['vip']}.json?q={token}").get_json()
    assert dict(vip["table"]).get("是") == "1"


# -- 6. saved views ----------------------------------------------------------------------------------
def test_a_saved_view_on_a_retired_field_opens_without_it_with_a_notice(org, login, fields, three):
    from app.core.custom_fields.models import CustomField

    names, labels = fields
    token, a, *_ = three
    own = _field(unique("sv")[:12].lower(), unique("阶段"), "choice", [("gold", "金牌")], position=8)
    _put(a, **{own.name: "gold"})
    names, labels = {"level": own.name}, {"level": own.label}
    client = login(org.east_rep)
    level = f"cf_{names['level']}"
    query = f"q={token}&_flt_0_{level}=gold"
    resp = client.post("/saved-views/customers/save",
                       data={"name": unique("视图"), "query": query, "columns": ["code", "name", level]})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    view_id = dict(parse_qsl(urlsplit(resp.headers["Location"]).query))["view"]
    opened = client.get(f"/customers/list/?view={view_id}")
    assert dict(parse_qsl(urlsplit(opened.headers["Location"]).query)).get(f"_flt_0_{level}") == "gold"
    row = db.session.query(CustomField).filter_by(name=names["level"]).one()
    row.retired = True
    db.session.commit()
    opened = client.get(f"/customers/list/?view={view_id}")
    assert opened.status_code == 302
    target = dict(parse_qsl(urlsplit(opened.headers["Location"]).query))
    assert f"_flt_0_{level}" not in target and target["q"] == token
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert labels["level"] in page            # the notice names the field the view lost
    assert a.name in page


# -- 7. indexes (PostgreSQL) -------------------------------------------------------------------------
def test_a_field_gets_its_expression_index_and_loses_it_when_retired(org, fields):
    from sqlalchemy import text

    from app.core.custom_fields import indexes
    from app.core.custom_fields.models import CustomField

    names, _labels = fields
    if db.engine.dialect.name != "postgresql":
        assert indexes.ensure("customers", names["level"]) == []     # SQLite keeps no such indexes
        return
    names = {**names, "level": _field(unique("ix")[:12].lower(), unique("级"), "choice", [("gold", "金牌")]).name}

    def present():
        return set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'customer' "
                                           "AND indexname LIKE 'ix_cf_customer_%'")))

    level, motto, tags = (indexes.index_names("customer", names[k]) for k in ("level", "motto", "tags"))
    assert indexes.ensure("customers", names["level"]) == [level[0]]
    assert set(indexes.ensure("customers", names["motto"])) == set(motto)          # value and bigrams
    indexes.ensure("customers", names["tags"])
    db.session.commit()
    assert {level[0], *motto, tags[0]} <= present()
    # The list's condition is the index's expression: the planner may use it.
    plan = "\n".join(db.session.scalars(text(
        "EXPLAIN SELECT id FROM customer WHERE CAST(custom ->> :n AS VARCHAR) = 'gold' ORDER BY id DESC LIMIT 25")
        .bindparams(n=names["level"])))
    assert "customer" in plan
    row = db.session.query(CustomField).filter_by(name=names["level"]).one()
    row.retired = True
    db.session.commit()
    assert indexes._keep("customers", names["level"]) == level
    db.session.commit()
    assert level[0] not in present()


def test_adding_and_retiring_a_field_schedules_its_index_job_on_postgresql(org):
    from app.core.custom_fields import service
    from app.core.jobs import queue

    before = queue().count
    row = service.create_field(org.admin, "customers", unique("ix")[:12].lower(), "索引测试", "integer")
    service.retire_field(org.admin, row.id)
    jobs = queue().jobs[-2:] if queue().count > before else []
    if db.engine.dialect.name != "postgresql":
        assert queue().count == before                              # SQLite keeps no such indexes
        return
    assert [(j.func_name, j.args) for j in jobs] == [("app.core.custom_fields.indexes.keep_index",
                                                      ("customers", row.name))] * 2
