"""Contracts are the first document type with an approval chain: the module declares it, the
shipped chain reads the contract's own fields, and the engine alone moves a contract from
draft to approved, after which people sign and archive it."""
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core.errors import DomainError
from app.core.registry import registry
from app.core.spec import check_spec
from app.extensions import db
from app.modules.contracts import service
from app.modules.contracts.models import Contract
from tests.modules.contracts.helpers import make_contract

SHIPPED_CHAIN = Path(__file__).resolve().parents[3] / "workflows" / "contract_approval.yaml"


def test_the_contracts_spec_is_clean_and_declares_its_chain(app):
    spec = registry.get("contracts")
    assert check_spec(spec, registry.specs) == []
    assert (spec.workflow.name, spec.workflow.status_field) == ("contract_approval", "status")
    assert "contracts" in registry.get("customers").related


def test_the_shipped_chain_checks_clean_against_the_contract_fields(app):
    from app.workflow.definitions import check_files, installed_documents

    definitions, problems = check_files([SHIPPED_CHAIN], installed_documents())
    assert problems == [] and [d.document for d in definitions] == ["contracts"]


@pytest.mark.parametrize("amount, standard, steps", [
    ("50000", True, ["manager"]),
    ("100000", True, ["manager"]),
    ("100000.01", True, ["manager", "finance"]),
    ("20000", False, ["manager", "legal"]),
    ("800000", False, ["manager", "legal", "finance"]),
])
def test_the_shipped_chain_routes_by_amount_and_standard_terms(amount, standard, steps, org):
    from app.workflow.definitions import check_files, installed_documents
    from app.workflow.documents import document_context

    (definition,), _problems = check_files([SHIPPED_CHAIN], installed_documents())
    contract = make_contract(org.east_rep, amount=amount, standard_terms=standard)
    context = document_context(registry.get("contracts"), contract, org.east_rep)
    assert [step.id for step in definition.route(context)] == steps


def test_a_contract_goes_from_draft_through_approval_to_signed_and_archived(org):
    from app.workflow import engine, publishing
    from app.workflow.models import ApprovalTask

    publishing.publish(None, SHIPPED_CHAIN.read_text(encoding="utf-8"))
    contract = make_contract(org.east_rep, amount="60000", standard_terms=True)
    instance = engine.submit(org.east_rep, "contracts", contract.id)
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.status == "in_approval"

    # While in approval, neither the owner nor anyone else can delete it or set its status.
    with pytest.raises(DomainError):
        service.delete_contract(org.east_rep, db.session.get(Contract, contract.id))
    with pytest.raises(DomainError):
        service.mark_signed(org.east_rep, [db.session.get(Contract, contract.id)])

    task = db.session.scalar(select(ApprovalTask).where(ApprovalTask.instance_id == instance.id,
                                                        ApprovalTask.status == "pending"))
    assert task.assignee_id == org.manager.id
    engine.approve(org.manager, task.id, "同意")
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "approved"

    service.mark_signed(org.east_rep, [db.session.get(Contract, contract.id)])
    service.archive(org.east_rep, [db.session.get(Contract, contract.id)])
    db.session.expire_all()
    final = db.session.get(Contract, contract.id)
    assert (final.status, final.amount) == ("archived", Decimal("60000.00")) and final.signed_on is not None
