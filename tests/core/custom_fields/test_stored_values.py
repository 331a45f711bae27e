"""Custom field values in their three forms (given, stored, Python), their display, and their SQL
expression used by filters and sorting: on SQLite and on PostgreSQL (JSONB) alike."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.custom_fields import values
from app.core.custom_fields.definitions import KINDS, FieldDef, has_custom
from app.core.custom_fields.values import CustomValueError, coerce, display, dump, expression, load
from app.extensions import db
from tests.factories import make_customer


def _field(kind, **extra):
    base = {"module": "customers", "name": f"f_{kind}", "label": f"字段{kind}", "kind": kind}
    if kind in ("choice", "multichoice"):
        base["choices"] = (("a", "甲"), ("b", "乙"), ("c", "丙"))
    base.update(extra)
    return FieldDef(**base)


def test_every_kind_is_known_and_the_models_say_whether_they_have_custom_fields():
    from app.modules.contracts.models import Contract
    from app.modules.customers.models import Contact, Customer, Interaction

    assert len(KINDS) == 10
    assert has_custom(Customer) and has_custom(Contract) and has_custom(Contact)
    assert not has_custom(Interaction)


@pytest.mark.parametrize("kind, raw, expected", [
    ("text", "  你好  ", "你好"),
    ("textarea", "第一行\r\n第二行", "第一行\n第二行"),
    ("integer", "1,234", 1234),
    ("integer", 42, 42),
    ("decimal", "¥1,234.50", Decimal("1234.5")),
    ("decimal", 3, Decimal("3")),
    ("date", "2026-03-31", dt.date(2026, 3, 31)),
    ("date", "2026年3月31日", dt.date(2026, 3, 31)),
    ("datetime", "2026-03-31T10:00:00+08:00", dt.datetime(2026, 3, 31, 2, 0)),
    ("choice", "乙", "b"),
    ("choice", "a", "a"),
    ("multichoice", "丙,甲", ["a", "c"]),
    ("multichoice", ["b", "b"], ["b"]),
    ("boolean", "是", True),
    ("boolean", False, False),
    ("text", "", None),
    ("integer", None, None),
])
def test_given_values_become_python_values(kind, raw, expected):
    assert coerce(_field(kind), raw) == expected


@pytest.mark.parametrize("kind, raw", [
    ("integer", "1.5"), ("integer", "abc"), ("integer", True), ("decimal", "1.2.3"), ("decimal", "abc"),
    ("date", "31/31/2026"), ("datetime", "tomorrow"), ("choice", "丁"), ("choice", ["a"]),
    ("multichoice", "a,丁"), ("boolean", "maybe"), ("text", "x" * 201), ("text", {"a": 1}),
    ("user", "nobody-here"), ("user", 2 ** 40),
])
def test_bad_values_are_refused_with_the_fields_label(app, ctx, kind, raw):
    with pytest.raises(CustomValueError) as caught:
        coerce(_field(kind), raw)
    assert caught.value.message.startswith(f"字段{kind}")
    assert caught.value.field == f"custom.f_{kind}" and caught.value.status == 400


def test_a_required_field_refuses_no_value():
    field = _field("text", required=True)
    for raw in ("", "   ", None):
        with pytest.raises(CustomValueError):
            coerce(field, raw)
    with pytest.raises(CustomValueError):
        coerce(_field("multichoice", required=True), [])


def test_a_user_field_takes_active_users_by_id_or_name(org):
    field = _field("user")
    assert coerce(field, org.east_rep.id) == org.east_rep.id
    assert coerce(field, str(org.east_rep.id)) == org.east_rep.id
    assert coerce(field, org.east_rep.username) == org.east_rep.id
    org.east_rep2.active = False
    db.session.commit()
    with pytest.raises(CustomValueError):
        coerce(field, org.east_rep2.id)
    assert display(field, org.east_rep.id) in (f"{org.east_rep.last_name}{org.east_rep.first_name}", org.east_rep.username)


@pytest.mark.parametrize("kind, value, stored", [
    ("decimal", Decimal("1234.5"), "1234.5"),
    ("date", dt.date(2026, 3, 31), "2026-03-31"),
    ("datetime", dt.datetime(2026, 3, 31, 2, 0), "2026-03-31T02:00:00"),
    ("multichoice", ["a", "c"], ["a", "c"]),
    ("integer", 7, 7),
    ("boolean", True, True),
    ("text", "字", "字"),
    ("choice", "a", "a"),
])
def test_values_are_stored_as_json_and_read_back(kind, value, stored):
    field = _field(kind)
    assert dump(field, value) == stored
    assert load(field, dump(field, value)) == value
    assert dump(field, None) is None and load(field, None) is None


def test_a_stored_value_that_no_longer_fits_is_read_as_it_is():
    assert load(_field("decimal"), "not a number") == "not a number"
    assert load(_field("date"), "someday") == "someday"


def test_display_shows_labels_yes_no_and_grouped_numbers():
    assert display(_field("choice"), "b") == "乙"
    assert display(_field("multichoice"), ["a", "c"]) == "甲、丙"
    assert display(_field("decimal"), Decimal("1234.5")) == "1,234.5"
    assert display(_field("decimal"), "1234.50") == "1,234.50"
    assert display(_field("integer"), 1234567) == "1,234,567"
    assert display(_field("date"), dt.date(2026, 3, 31)) == "2026-03-31"
    assert display(_field("text"), None) == ""


def test_get_and_put_change_one_value_and_the_orm_sees_it(org):
    customer = make_customer(org.east_rep)
    assert customer.custom == {}
    field = _field("decimal")
    values.put(customer, field.name, Decimal("12.30"), field)
    values.put(customer, "f_text", "甲")
    db.session.commit()
    db.session.expire_all()
    from app.modules.customers.models import Customer

    again = db.session.get(Customer, customer.id)
    assert again.custom == {"f_decimal": "12.30", "f_text": "甲"}
    assert values.get(again, "f_decimal", field) == Decimal("12.30")
    values.put(again, "f_text", None)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).custom == {"f_decimal": "12.30"}


def test_the_sql_expression_filters_and_sorts_by_the_typed_value(org):
    """Numbers sort as numbers (10 after 9), dates and times as text in ISO order, booleans and
    choices compare as they are stored; the same on SQLite's JSON and PostgreSQL's JSONB."""
    from app.modules.customers.models import Customer

    fields = {k: _field(k, name=f"x_{k}") for k in ("integer", "decimal", "date", "datetime", "boolean", "choice", "user")}
    rows = [
        {"integer": 9, "decimal": Decimal("9.5"), "date": dt.date(2026, 1, 9), "boolean": True, "choice": "a",
         "datetime": dt.datetime(2026, 1, 9, 8, 0)},
        {"integer": 10, "decimal": Decimal("10.25"), "date": dt.date(2026, 1, 10), "boolean": False, "choice": "b",
         "datetime": dt.datetime(2026, 1, 10, 8, 0)},
        {"integer": -1, "decimal": Decimal("-0.5"), "date": dt.date(2025, 12, 31), "boolean": True, "choice": "c",
         "datetime": dt.datetime(2025, 12, 31, 23, 59)},
    ]
    ids = []
    marker = f"x_mark_{org.east_rep.id}"
    for row in rows:
        customer = make_customer(org.east_rep)
        for kind, value in row.items():
            values.put(customer, fields[kind].name, value, fields[kind])
        values.put(customer, marker, "1")
        values.put(customer, "x_user", org.east_rep.id, fields["user"])
        ids.append(customer.id)
    db.session.commit()

    def ordered(kind):
        expr = expression(Customer, fields[kind])
        return list(db.session.scalars(select(Customer.id).where(Customer.id.in_(ids)).order_by(expr, Customer.id)))

    assert ordered("integer") == [ids[2], ids[0], ids[1]]
    assert ordered("decimal") == [ids[2], ids[0], ids[1]]
    assert ordered("date") == [ids[2], ids[0], ids[1]]
    assert ordered("datetime") == [ids[2], ids[0], ids[1]]

    def where(clause):
        return set(db.session.scalars(select(Customer.id).where(Customer.id.in_(ids), clause)))

    assert where(expression(Customer, fields["integer"]) >= 9) == {ids[0], ids[1]}
    assert where(expression(Customer, fields["decimal"]) > Decimal("9.5")) == {ids[1]}
    assert where(expression(Customer, fields["date"]) >= "2026-01-01") == {ids[0], ids[1]}
    assert where(expression(Customer, fields["boolean"]).is_(True)) == {ids[0], ids[2]}
    assert where(expression(Customer, fields["choice"]) == "b") == {ids[1]}
    assert where(expression(Customer, fields["user"]) == org.east_rep.id) == set(ids)
    absent = _field("text", name="x_never_set")
    assert where(expression(Customer, absent).is_(None)) == set(ids)
