"""A step may ask its approvers for a handwritten signature (`signature: required`): the chain
reads the key (and refuses any other value), the task page opens the signature pad and marks it,
and approving or rejecting without a signature is refused — on the screen, through the API and in
a bulk approval — while a signed decision goes through."""
from __future__ import annotations

import base64
import io

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape

from app.extensions import db
from app.workflow import engine
from app.workflow.definitions import DefinitionError, parse_definition
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import shipped_chain_afterwards  # noqa: F401  (autouse fixture)
from tests.workflow.helpers import actions, publish_chain, step, task_of

MANAGER = {"manager_of": "submitter"}
CONTRACT_FIELDS = {"id", "code", "title", "customer_id", "amount", "standard_terms", "status", "owner_id",
                   "department_id"}
CHAIN = """\
name: contract_approval
title: 合同审批
document: contracts
steps:
  - id: manager
    name: 部门经理审批
    approvers:
      - manager_of: submitter
    signature: {value}
"""


@pytest.fixture
def shown(app):
    def _shown(msgid, **params):
        with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
            return str(escape(gettext(msgid, **params)))
    return _shown


def signed():
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (120, 40), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((5, 30, 110, 8), fill=(0, 0, 0, 255), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def submitted(org):
    publish_chain([step("manager", [MANAGER], signature="required")])
    return engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)


def test_the_chain_reads_the_signature_key_and_refuses_other_values():
    documents = {"contracts": CONTRACT_FIELDS}
    assert parse_definition(CHAIN.format(value="required"), "c.yaml", documents).step("manager").signature == "required"
    assert parse_definition(CHAIN.format(value="optional"), "c.yaml", documents).step("manager").signature == "optional"
    without = CHAIN.replace("    signature: {value}\n", "")
    assert parse_definition(without, "c.yaml", documents).step("manager").signature == "optional"
    with pytest.raises(DefinitionError) as caught:
        parse_definition(CHAIN.format(value="sometimes"), "c.yaml", documents)
    assert [p.path for p in caught.value.problems] == ["steps[0].signature"]


def test_the_task_page_opens_the_pad_and_refuses_a_decision_without_a_signature(org, login, shown):
    run = submitted(org)
    task = task_of(run, org.manager)
    client = login(org.manager)

    page = client.get(f"/approvals/task/{task.id}").get_data(as_text=True)
    decision = page.split('class="zwt-decision"')[1].split("</form>")[0]
    assert "data-zwt-signature open data-required" in decision

    refused = client.post(f"/approvals/task/{task.id}/approve", data={"comment": "同意"})
    message = shown("This step asks for your handwritten signature: sign in the box, then decide.")
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    assert "同意" in refused.get_data(as_text=True)
    assert task_of(run, org.manager).status == "pending" and not actions(run, "approve")

    url = "data:image/png;base64," + base64.b64encode(signed()).decode()
    assert client.post(f"/approvals/task/{task.id}/approve", data={"comment": "同意", "signature": url}).status_code == 302
    assert task_of(run, org.manager, "approved")


def test_the_api_and_a_bulk_approval_refuse_without_a_signature(org, app, login, api_token):
    run = submitted(org)
    task = task_of(run, org.manager)
    client = app.test_client()
    headers = api_token(org.manager)

    refused = client.post(f"/api/v1/approvals/tasks/{task.id}/reject", json={"comment": "不行"}, headers=headers)
    assert refused.status_code == 400 and refused.get_json()["message"]["signature"]
    bulk = login(org.manager).post("/approvals/bulk/approve", data={"task": str(task.id)})
    assert bulk.status_code == 200 and task_of(run, org.manager).status == "pending"

    done = client.post(f"/api/v1/approvals/tasks/{task.id}/reject", headers=headers, content_type="multipart/form-data",
                       data={"comment": "不行", "signature": (io.BytesIO(signed()), "s.png")})
    assert done.status_code == 200 and done.get_json()["result"]["status"] == "rejected"


def test_a_step_without_the_key_decides_without_a_signature(org, login):
    publish_chain([step("manager", [MANAGER])])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    task = task_of(run, org.manager)
    page = login(org.manager).get(f"/approvals/task/{task.id}").get_data(as_text=True)
    assert "data-required" not in page
    assert login(org.manager).post(f"/approvals/task/{task.id}/approve", data={}).status_code == 302
