"""A chain's `comment_required` names the actions whose reason is compulsory; adding a signer and
withdrawing can be among them, refused without a reason on the service, the screen and the API,
with nothing changed."""
from __future__ import annotations

import pytest

from app.core.errors import DomainError
from app.extensions import db
from app.modules.contracts.models import Contract
from app.workflow import engine
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import shipped_chain_afterwards  # noqa: F401  (autouse fixture)
from tests.workflow.helpers import actions, fresh, publish_chain, step, task_of, tasks

MANAGER = {"manager_of": "submitter"}
API = "/api/v1/approvals"


def running(org):
    publish_chain([step("manager", [MANAGER])], comment_required=["reject", "add_signer", "withdraw"])
    contract = make_contract(org.east_rep)
    return contract, engine.submit(org.east_rep, "contracts", contract.id)


def test_adding_a_signer_without_the_reason_the_chain_asks_for_is_refused(org):
    _contract, run = running(org)
    task = task_of(run, org.manager)
    with pytest.raises(DomainError) as refused:
        engine.add_signer(org.manager, task.id, org.finance_user.id, "before", "  ")
    assert refused.value.field == "comment"
    assert [t.assignee_id for t in tasks(fresh(run), "pending")] == [org.manager.id]
    engine.add_signer(org.manager, task.id, org.finance_user.id, "before", "请财务先看")
    assert org.finance_user.id in {t.assignee_id for t in tasks(fresh(run), "pending")}


def test_withdrawing_without_the_reason_the_chain_asks_for_is_refused(org, app, api_token):
    contract, run = running(org)
    with pytest.raises(DomainError) as refused:
        engine.withdraw(org.east_rep, run.id)
    assert refused.value.field == "comment"
    assert fresh(run).status == "running" and not actions(run, "withdraw")
    answer = app.test_client().post(f"{API}/instances/{run.id}/withdraw", json={}, headers=api_token(org.east_rep))
    assert answer.status_code == 400 and answer.get_json()["message"]
    assert fresh(run).status == "running"
    engine.withdraw(org.east_rep, run.id, "客户要求修改金额")
    db.session.expire_all()
    assert fresh(run).status == "withdrawn" and db.session.get(Contract, contract.id).status == "draft"


def test_the_screen_marks_the_reasons_the_chain_asks_for(org, login):
    _contract, run = running(org)
    approver_page = login(org.manager).get(f"/approvals/task/{task_of(run, org.manager).id}").get_data(as_text=True)
    signer_form = approver_page[approver_page.index("zwt-add-signer"):]
    signer_form = signer_form[:signer_form.index("</form>")]
    assert "审批意见（必填）" in signer_form and " required" in signer_form
    submitter_page = login(org.east_rep).get(f"/approvals/task/{task_of(run, org.manager).id}")
    assert submitter_page.status_code == 200
    text = submitter_page.get_data(as_text=True)
    withdraw_form = text[text.index("zwt-withdraw"):]
    assert "原因（必填）" in withdraw_form[:withdraw_form.index("</form>")]
