"""Tags: defined by admins with a colour, many per customer, filtered by any/all, given and
taken in bulk from the list."""
import re

import pytest
from sqlalchemy import select

from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.customers import tags
from app.modules.customers.filters import FilterInPool  # noqa: F401 (registered filters)
from app.modules.customers.models import Customer, Tag
from app.modules.customers.tags import FilterHasAllTags, FilterHasAnyTag
from app.modules.customers.views import customers_list_url
from tests.conftest import unique
from tests.factories import make_customer


@pytest.fixture
def three_tags(org):
    return [tags.create_tag(org.admin, Tag(name=unique(name), colour=colour))
            for name, colour in (("重点", "danger"), ("VIP", "warning"), ("老客户", "primary"))]


def _tag_names(customer):
    db.session.expire_all()
    return sorted(t.name for t in db.session.get(Customer, customer.id).tags)


def test_tag_names_are_unique_whatever_the_case_and_colours_come_from_the_palette(org):
    name = unique("vip")
    tags.create_tag(org.admin, Tag(name=name, colour="danger"))
    with pytest.raises(ValidationErrors) as err:
        tags.create_tag(org.admin, Tag(name=name.upper(), colour="pink"))
    assert set(err.value.errors) == {"name", "colour"}


def test_only_admins_define_tags(org, login):
    for user in (org.manager, org.east_rep):
        client = login(user)
        assert client.get("/tags/list/").status_code in (302, 403)
        client.post("/tags/add", data={"name": "非法标签", "colour": "danger"})
    assert db.session.scalar(select(Tag).where(Tag.name == "非法标签")) is None
    admin = login(org.admin)
    assert admin.post("/tags/add", data={"name": unique("合法标签"), "colour": "success"}).status_code == 302


def test_filter_by_any_or_all_of_several_tags_on_screen_and_api(org, three_tags, login, api_token):
    red, gold, blue = three_tags
    both = make_customer(org.east_rep)
    only_red = make_customer(org.east_rep)
    none = make_customer(org.east_rep)
    tags.tag_customers(org.east_rep, [both.id, only_red.id], [red.id])
    tags.tag_customers(org.east_rep, [both.id], [gold.id])
    client = login(org.east_rep)

    def listed(filter_class, ids):
        url = customers_list_url("tags", filter_class, "x")
        index = re.search(r"_flt_(\d)_tags", url).group(1)
        query = "&".join(f"_flt_{index}_tags={i}" for i in ids)
        return client.get(f"/customers/list/?{query}&psize_CustomerView=100").get_data(as_text=True)

    anyof = listed(FilterHasAnyTag, [red.id, gold.id])
    assert both.name in anyof and only_red.name in anyof and none.name not in anyof
    allof = listed(FilterHasAllTags, [red.id, gold.id])
    assert both.name in allof and only_red.name not in allof
    assert f'label-danger zwt-tag">{red.name}<' in allof  # shown as coloured labels

    from flask import current_app

    api = current_app.test_client()
    headers = api_token(org.east_rep)
    q = f"(filters:!((col:tags,opr:tags_all,value:!({red.id},{gold.id}))),page_size:100)"
    result = api.get(f"/api/v1/customers/?q={q}", headers=headers).get_json()["result"]
    assert [r["id"] for r in result] == [both.id]
    q = f"(filters:!((col:tags,opr:tags_any,value:'{red.id},{gold.id}')),page_size:100)"
    result = api.get(f"/api/v1/customers/?q={q}", headers=headers).get_json()["result"]
    assert {both.id, only_red.id} <= {r["id"] for r in result} and none.id not in {r["id"] for r in result}


def test_bulk_tagging_from_the_list_asks_which_tags_then_applies(org, three_tags, login):
    red, gold, _blue = three_tags
    first, second = make_customer(org.east_rep), make_customer(org.east_rep)
    client = login(org.east_rep)
    resp = client.post("/customers/action_post", data={"action": "tag", "rowid": [str(first.id), str(second.id)]})
    assert resp.status_code == 302 and "/customer_bulk/tags" in resp.headers["Location"]
    form = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert first.name in form and red.name in form
    ids = re.search(r'name="ids" value="([^"]+)"', form).group(1)
    resp = client.post("/customer_bulk/tags", data={"ids": ids, "mode": "add", "tag_ids": [str(red.id), str(gold.id)]})
    assert resp.status_code == 302
    assert _tag_names(first) == _tag_names(second) == sorted([red.name, gold.name])
    resp = client.post("/customer_bulk/tags", data={"ids": ids, "mode": "remove", "tag_ids": [str(gold.id)]})
    assert _tag_names(first) == [red.name]
    # Nothing chosen: the form comes back with a message, nothing changes.
    resp = client.post("/customer_bulk/tags", data={"ids": ids, "mode": "remove"})
    assert resp.status_code == 200 and "zwt-field-error" in resp.get_data(as_text=True)
    assert _tag_names(first) == [red.name]


def test_tagging_refuses_customers_outside_the_users_scope_and_tags_nothing(org, three_tags, login):
    red = three_tags[0]
    mine, theirs = make_customer(org.east_rep), make_customer(org.east_rep2)
    with pytest.raises(DomainError):
        tags.tag_customers(org.east_rep, [mine.id, theirs.id], [red.id])
    assert _tag_names(mine) == [] and _tag_names(theirs) == []
    # Through the screen the other rep's id is simply not among the chosen customers.
    client = login(org.east_rep)
    client.post("/customer_bulk/tags", data={"ids": f"{mine.id},{theirs.id}", "mode": "add", "tag_ids": [str(red.id)]})
    assert _tag_names(mine) == [red.name] and _tag_names(theirs) == []


def test_read_only_users_cannot_tag(org, three_tags, login):
    customer = make_customer(org.east_rep)
    client = login(org.readonly)
    resp = client.post("/customer_bulk/tags", data={"ids": str(customer.id), "mode": "add", "tag_ids": [str(three_tags[0].id)]})
    assert resp.status_code in (302, 403)
    assert _tag_names(customer) == []


def test_deleting_a_tag_removes_it_from_its_customers(org, three_tags):
    red = three_tags[0]
    customer = make_customer(org.east_rep)
    tags.tag_customers(org.east_rep, [customer.id], [red.id])
    tags.delete_tag(org.admin, db.session.get(Tag, red.id))
    assert _tag_names(customer) == []
