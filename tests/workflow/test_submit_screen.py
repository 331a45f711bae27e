"""The submit screen of a document (提交审批): the route preview names whom each step asks — or
that the submitter must choose — and a picker for each such step; wrong choices are refused in
Chinese with nothing written; only someone who may edit the document gets the screen."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.workflow.models import ApprovalInstance
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import fresh, publish_chain, step, tasks
from tests.workflow.test_views import restore_shipped_chain, shipped_chain_afterwards, shown, status_of, text  # noqa: F401

PICK = {"submitter_picks": {"from": {"role": "Finance"}}}


def _instances(contract) -> int:
    return db.session.scalar(select(func.count(ApprovalInstance.id)).where(
        ApprovalInstance.document == "contracts", ApprovalInstance.record_id == contract.id))


def test_the_screen_shows_the_route_and_a_picker_of_the_allowed_people(org, login):
    other_finance = make_user("Finance", org.finance)
    few = {"submitter_picks": {"from": {"users": [org.finance_user.username, other_finance.username]}}}
    publish_chain([step("manager", [{"manager_of": "submitter"}]), step("finance", [few])])
    contract = make_contract(org.east_rep)
    html = text(login(org.east_rep).get(f"/approvals/submit/contracts/{contract.id}"))
    assert 'name="pick:step:finance"' in html
    assert org.finance_user.username in html and other_finance.username in html
    assert org.south_rep.username not in html            # outside the allowed set
    assert org.manager.username in html                 # the manager step, in the preview
    assert 'data-step="finance"' in html


def test_a_submission_from_the_tab_without_the_choice_is_sent_to_the_screen(org, login):
    publish_chain([step("finance", [PICK])])
    contract = make_contract(org.east_rep)
    resp = login(org.east_rep).post(f"/approvals/submit/contracts/{contract.id}", data={"comment": "请审批"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/approvals/submit/contracts/{contract.id}")
    assert _instances(contract) == 0 and status_of(contract) == "draft"


def test_a_missing_or_wrong_choice_is_refused_and_nothing_is_written(org, login, shown):
    publish_chain([step("finance", [PICK])])
    contract = make_contract(org.east_rep)
    client = login(org.east_rep)
    missing = client.post(f"/approvals/submit/contracts/{contract.id}", data={"picks_shown": "1", "comment": "急"})
    assert missing.status_code == 400 and "急" in text(missing)
    assert 'id="zwt-submit-error"' in text(missing)
    wrong = client.post(f"/approvals/submit/contracts/{contract.id}",
                        data={"picks_shown": "1", "pick:step:finance": str(org.south_rep.id)})
    assert wrong.status_code == 400 and org.south_rep.display_name in text(wrong)
    mine = client.post(f"/approvals/submit/contracts/{contract.id}",
                       data={"picks_shown": "1", "pick:step:finance": "not-a-number"})
    assert mine.status_code == 400
    assert _instances(contract) == 0 and status_of(contract) == "draft"


def test_the_choice_is_used_and_shown_on_the_approval(org, login):
    publish_chain([step("finance", [PICK])])
    contract = make_contract(org.east_rep)
    client = login(org.east_rep)
    resp = client.post(f"/approvals/submit/contracts/{contract.id}",
                       data={"picks_shown": "1", "pick:step:finance": str(org.finance_user.id),
                             "next": f"/contracts/show/{contract.id}"})
    assert resp.status_code == 302 and status_of(contract) == "in_approval"
    run = db.session.scalar(select(ApprovalInstance).where(ApprovalInstance.record_id == contract.id,
                                                           ApprovalInstance.document == "contracts"))
    assert [t.assignee_id for t in tasks(fresh(run), "pending")] == [org.finance_user.id]
    html = text(client.get(f"/contracts/show/{contract.id}/tab/approval"))
    assert org.finance_user.display_name in html


def test_the_people_search_offers_only_the_allowed_set(org, login):
    publish_chain([step("finance", [PICK])])
    contract = make_contract(org.east_rep)
    client = login(org.east_rep)
    found = client.get(f"/approvals/submit/contracts/{contract.id}?people=step:finance&q={org.finance_user.username}")
    assert [r["id"] for r in found.get_json()["results"]] == [org.finance_user.id]
    none = client.get(f"/approvals/submit/contracts/{contract.id}?people=step:finance&q={org.south_rep.username}")
    assert none.get_json()["results"] == []
    assert client.get(f"/approvals/submit/contracts/{contract.id}?people=step:nope").status_code == 400


def test_someone_who_may_not_edit_or_see_the_document_gets_no_screen(org, login):
    publish_chain([step("finance", [PICK])])
    contract = make_contract(org.east_rep)
    reader = login(org.readonly)             # reads every contract, writes none
    assert reader.get(f"/approvals/submit/contracts/{contract.id}").status_code == 403
    assert reader.get(f"/approvals/submit/contracts/{contract.id}?people=step:finance&q=u").status_code == 403
    stranger = login(org.south_rep)          # may write contracts, but not see east's
    assert stranger.get(f"/approvals/submit/contracts/{contract.id}").status_code == 404
    assert stranger.get(f"/approvals/submit/contracts/{contract.id}?people=step:finance&q=u").status_code == 404


def test_the_timeline_says_whom_the_submitter_chose(org, login):
    publish_chain([step("finance", [PICK])])
    contract = make_contract(org.east_rep)
    client = login(org.east_rep)
    client.post(f"/approvals/submit/contracts/{contract.id}",
                data={"picks_shown": "1", "pick:step:finance": str(org.finance_user.id)})
    from app.workflow.views_common import ACTION_LABELS, REASONS
    from flask_babel import force_locale

    html = text(client.get(f"/contracts/show/{contract.id}/tab/approval"))
    with force_locale("zh_CN"):
        assert str(ACTION_LABELS["picked"]) in html and str(REASONS["picked"]) in html
    assert org.finance_user.display_name in html


def test_a_large_allowed_set_is_searched_as_you_type_instead_of_listed(org, login, monkeypatch):
    from app.workflow import picks

    monkeypatch.setattr(picks, "OPTIONS_SHOWN", 0)
    publish_chain([step("finance", [PICK])])
    contract = make_contract(org.east_rep)
    html = text(login(org.east_rep).get(f"/approvals/submit/contracts/{contract.id}"))
    assert 'class="my_select2 form-control"' in html and "people=step" in html
    assert org.finance_user.username not in html
