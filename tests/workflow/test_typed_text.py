"""What people type — a contract title, an approval opinion — reaches approvers and submitters as
text wherever an approval shows it: notices, the notification centre, the HTML mail, the
timeline, the inbox and the confirmation page."""
from __future__ import annotations

from sqlalchemy import select

from app.core.notify import MailMessage, Notification
from app.extensions import db
from app.workflow import engine
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import publish_chain, step, task_of, user_rule
from tests.workflow.test_views import restore_shipped_chain, shipped_chain_afterwards, text  # noqa: F401

XSS = "<img src=x onerror=alert(1)>"
SHOWN = "&lt;img src=x onerror=alert(1)&gt;"


def _mails_to(user) -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailMessage).where(MailMessage.to == user.email).order_by(MailMessage.id)))


def _as_text(html: str) -> None:
    assert XSS not in html
    assert SHOWN in html


def test_a_title_and_an_opinion_with_markup_are_shown_as_text_everywhere_in_an_approval(org, login):
    publish_chain([step("manager", [{"manager_of": "submitter"}]), step("finance", user_rule(org.finance_user))])
    contract = make_contract(org.east_rep, title=f"采购 {XSS}")
    run = engine.submit(org.east_rep, "contracts", contract.id)
    manager_task = task_of(run, org.manager)

    # the manager's mail and notification centre
    [please] = _mails_to(org.manager)
    assert XSS in please.subject                          # plain text stays as typed
    _as_text(please.html)
    manager = login(org.manager)
    _as_text(text(manager.get("/notifications/")))
    _as_text(text(manager.get("/approvals/")))                                   # inbox, waiting
    _as_text(text(manager.get(f"/approvals/task/{manager_task.id}/approve")))  # the mail's link

    engine.approve(org.manager, manager_task.id, f"同意 {XSS}")
    finance_task = task_of(run, org.finance_user)
    finance = login(org.finance_user)
    page = text(finance.get(f"/approvals/task/{finance_task.id}"))           # timeline with the opinion
    _as_text(page)
    assert f"同意 {SHOWN}" in page
    _as_text(text(manager.get("/approvals/?tab=handled")))

    engine.reject(org.finance_user, finance_task.id, f"驳回 {XSS}")
    rejected = db.session.scalars(select(Notification).where(Notification.user_id == org.east_rep.id)
                                  .order_by(Notification.id.desc())).first()
    assert f"驳回 {XSS}" in rejected.body
    submitter = login(org.east_rep)
    centre = text(submitter.get("/notifications/"))
    _as_text(centre)
    assert f"驳回 {SHOWN}" in centre
    mail = _mails_to(org.east_rep)[-1]
    _as_text(mail.html)
    assert f"驳回 {SHOWN}" in mail.html
    _as_text(text(submitter.get("/approvals/?tab=submitted")))
    _as_text(text(submitter.get(f"/contracts/show/{contract.id}")))            # the 审批 tab
