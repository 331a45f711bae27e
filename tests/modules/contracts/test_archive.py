"""The contract archive: archived contracts are read-only, and 合同档案 finds them by code, customer, type, signing
dates, amount and words of the title or terms, only within the user's data scope; bad input is a 400 in Chinese."""
import datetime as dt
from decimal import Decimal

import pytest

from app.core.errors import DomainError
from app.extensions import db
from app.modules.contracts import service
from app.modules.contracts.models import Contract
from tests.conftest import unique
from tests.factories import make_customer
from tests.modules.contracts.helpers import approved, make_contract


def _archived(owner, signed_on, amount, **fields):
    contract = approved(make_contract(owner, amount=amount, signed_on=signed_on, **fields))
    service.mark_signed(owner, [contract])
    service.archive(owner, [db.session.get(Contract, contract.id)])
    return db.session.get(Contract, contract.id)


def test_an_archived_contract_can_no_longer_change(org, login):
    contract = _archived(org.east_rep, dt.date(2024, 3, 1), "1000.00")
    contract.notes = "归档后补充"
    with pytest.raises(DomainError) as refused:
        service.update_contract(org.east_rep, contract)
    assert refused.value.code == "contracts.archived"
    db.session.rollback()
    client = login(org.east_rep)
    show = client.get(f"/contracts/show/{contract.id}").get_data(as_text=True)
    assert f'href="/contracts/edit/{contract.id}"' not in show       # no 编辑 on the record bar
    client.post(f"/contracts/edit/{contract.id}", data={"title": "改名", "notes": "归档后补充"})
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).notes != "归档后补充"


def test_the_archive_search_finds_by_every_criterion_within_scope(org, login):
    customer = make_customer(org.east_rep, name=unique("杭州档案测试机械"))
    old = _archived(org.east_rep, dt.date(2023, 5, 10), "80000.00", customer=customer, terms="含三年免费维保服务")
    new = _archived(org.east_rep, dt.date(2025, 2, 1), "12000.00", title="年度耗材采购")
    theirs = _archived(org.south_rep, dt.date(2023, 6, 1), "90000.00", terms="含三年免费维保服务")
    client = login(org.east_rep)

    def found(**args):
        page = client.get("/contracts_archive/", query_string=args)
        assert page.status_code == 200, page.get_data(as_text=True)[:500]
        html = page.get_data(as_text=True)
        return {c.code for c in (old, new, theirs) if c.code in html}

    assert found(q="维保") == {old.code}                           # the terms; never another's contract
    assert found(q="耗材") == {new.code}                           # the title
    assert found(customer="档案测试") == {old.code}
    assert found(code=old.code) == {old.code}
    assert found(signed_from="2025-01-01") == {new.code}
    assert found(signed_from="2023-01-01", signed_to="2023-12-31", amount_min="50,000") == {old.code}
    assert found(amount_max="20000") >= {new.code} and old.code not in found(amount_max="20000")
    assert found(code="HT-1999-") == set()
    assert old.code in login(org.manager).get("/contracts_archive/", query_string={"q": "维保"}).get_data(as_text=True)


def test_bad_archive_search_input_says_what_in_chinese(org, login):
    client = login(org.east_rep)
    page = client.get("/contracts_archive/?signed_from=昨天&amount_min=很多&signed_to=2020-01-01&type=x")
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "请输入日期" in html and "请输入金额" in html
    assert client.get("/contracts_archive/?page=99999999999&q=" + "长" * 500).status_code == 200
    assert login(org.readonly).get("/contracts_archive/").status_code == 200
    from tests.factories import make_user

    assert login(make_user("Warehouse", org.company)).get("/contracts_archive/").status_code in (302, 403)
