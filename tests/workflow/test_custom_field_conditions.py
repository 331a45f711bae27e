"""Approval conditions read a record's custom fields as `doc.custom.<name>`, typed by their kind;
`workflows check` and publishing know their names and types."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.custom_fields import service
from app.core.custom_fields.definitions import field_of
from app.core.custom_fields.values import put
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.contracts.models import Contract
from app.workflow import engine, publishing
from tests.factories import unique
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import fresh, publish_chain, step, task_of, user_rule
from tests.workflow.test_views import restore_shipped_chain, shipped_chain_afterwards  # noqa: F401


@pytest.fixture
def budget(org):
    """A decimal custom field of contracts (预算), named uniquely per test, retired afterwards (the other
    tests' contract forms, lists and imports do not carry it)."""
    name = unique("budget").lower()
    row = service.create_field(org.admin, "contracts", name, "预算", "decimal")
    db.session.commit()
    yield name
    db.session.rollback()
    service.retire_field(org.admin, row.id)
    db.session.commit()


def _contract_with_budget(owner, name, value):
    contract = make_contract(owner)
    with unit_of_work(owner):
        item = db.session.get(Contract, contract.id)
        put(item, name, Decimal(value), field_of("contracts", name))
    return contract


def test_a_chain_routes_on_a_custom_field(org, budget):
    publish_chain([step("manager", [{"manager_of": "submitter"}]),
                   step("finance", user_rule(org.finance_user), when=f"doc.custom.{budget} > 50000")])
    big = _contract_with_budget(org.east_rep, budget, "80000.00")
    small = _contract_with_budget(org.east_rep, budget, "20000.00")

    runs = [engine.submit(org.east_rep, "contracts", c.id) for c in (big, small)]
    for run in runs:
        engine.approve(org.manager, task_of(run, org.manager).id)

    assert fresh(runs[0]).current_step == "finance" and fresh(runs[0]).status == "running"
    assert fresh(runs[1]).status == "approved"


def test_publishing_checks_a_custom_fields_name_and_type(org, budget):
    with pytest.raises(publishing.InvalidDefinition) as unknown:
        publish_chain([step("manager", [{"manager_of": "submitter"}], when="doc.custom.no_such_field > 1")])
    assert "steps[0].when" in str(unknown.value.problems[0])
    with pytest.raises(publishing.InvalidDefinition) as wrong_type:
        publish_chain([step("manager", [{"manager_of": "submitter"}], when=f"doc.custom.{budget}.startsWith('1')")])
    assert "steps[0].when" in str(wrong_type.value.problems[0])
