"""A contract's detail page offers only what may be done to it in its status: edit and delete
a draft, mark an approved one signed, archive a signed one, nothing of that while in approval."""
from app.extensions import db
from app.modules.contracts import service
from app.modules.contracts.models import Contract
from tests.modules.contracts.helpers import approved, make_contract
from tests.modules.customers.test_delete_refused import _submitted
from tests.modules.customers.test_detail_page import _bar


def _page_bar(client, contract) -> set[str]:
    resp = client.get(f"/contracts/show/{contract.id}")
    assert resp.status_code == 200
    return _bar(resp.get_data(as_text=True))


def _fresh(contract) -> Contract:
    db.session.expire_all()
    return db.session.get(Contract, contract.id)


def test_a_draft_offers_edit_and_delete_but_no_signing_or_archiving(org, login):
    contract = make_contract(org.east_rep)
    assert _page_bar(login(org.manager), contract) == {"edit", "delete", "print"}
    assert _page_bar(login(org.east_rep), contract) == {"edit", "print"}   # Sales may not delete


def test_a_contract_in_approval_offers_its_owner_nothing(org, login):
    contract = _submitted(make_contract(org.east_rep))
    assert contract.status == "in_approval"
    for user in (org.east_rep, org.admin):
        bar = _page_bar(login(user), contract)
        assert not bar & {"mark_signed", "archive", "delete", "edit"}, (user.username, bar)


def test_an_approved_contract_offers_marking_it_signed_and_a_signed_one_archiving(org, login):
    contract = approved(make_contract(org.east_rep))
    client = login(org.manager)
    bar = _page_bar(client, contract)
    assert "mark_signed" in bar and not bar & {"archive", "delete"}
    service.mark_signed(org.manager, [_fresh(contract)])
    bar = _page_bar(client, contract)
    assert "archive" in bar and not bar & {"mark_signed", "delete"}
    service.archive(org.manager, [_fresh(contract)])
    assert not _page_bar(client, contract) & {"archive", "mark_signed", "delete"}


def test_read_only_users_are_offered_nothing_but_printing_a_contract(org, login):
    contract = approved(make_contract(org.east_rep))
    assert _page_bar(login(org.readonly), contract) == {"print"}
