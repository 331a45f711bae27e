"""Times in approvals are shown in the company's time zone (Asia/Shanghai by default), to the
minute: the timeline, the inbox, the task page, reminder mails and the mail outbox."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from app.core.notify import MailMessage, Notification
from app.extensions import db
from app.modules.contracts.models import Contract
from app.workflow import engine
from app.workflow.jobs import remind_task
from app.workflow.models import ApprovalAction, ApprovalInstance, ApprovalTask
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import publish_chain, step, task_of
from tests.workflow.test_views import restore_shipped_chain, shipped_chain_afterwards, text  # noqa: F401

# 02:03:04.123456 UTC is 10:03 in Shanghai.
UTC = dt.datetime(2026, 1, 5, 2, 3, 4, 123456)
LOCAL = "2026-01-05 10:03"


def _at_known_times(run, contract) -> None:
    db.session.execute(update(ApprovalAction).where(ApprovalAction.instance_id == run.id).values(at=UTC))
    db.session.execute(update(ApprovalTask).where(ApprovalTask.instance_id == run.id).values(created_at=UTC))
    db.session.execute(update(ApprovalInstance).where(ApprovalInstance.id == run.id).values(started_at=UTC))
    db.session.execute(update(Contract).where(Contract.id == contract.id).values(created_at=UTC))
    db.session.commit()


def _now_in_shanghai() -> set[str]:
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    return {(now + dt.timedelta(minutes=d)).strftime("%H:%M") for d in (-1, 0, 1)}


def _in_local_time(html: str) -> None:
    assert LOCAL in html
    # a page may show the time now (the notification centre, a form's default): at 02:03 in
    # Shanghai that is the very text the test looks for, so the minutes around now are set aside
    for now in _now_in_shanghai():
        html = html.replace(now, "")
    # (not ":04" alone: a page may show the time now, e.g. a form's default, at minute or second 4;
    # and the microseconds with their dot: a record's id or number may well be 123456 on a busy database)
    assert "02:03" not in html and ".123456" not in html and LOCAL + ":04" not in html


def test_approval_screens_show_times_in_shanghai_time_to_the_minute(org, login):
    publish_chain([step("manager", [{"manager_of": "submitter"}])])
    contract = make_contract(org.east_rep)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    task = task_of(run, org.manager)
    _at_known_times(run, contract)
    manager = login(org.manager)

    _in_local_time(text(manager.get(f"/approvals/task/{task.id}")))        # timeline and the contract's fields
    _in_local_time(text(manager.get("/approvals/")))                       # inbox: waiting since
    _in_local_time(text(login(org.east_rep).get("/approvals/?tab=submitted")))


def test_a_reminder_mail_says_since_when_in_shanghai_time(org):
    publish_chain([step("manager", [{"manager_of": "submitter"}], sla={"remind_after": "24h"})])
    contract = make_contract(org.east_rep)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    task = task_of(run, org.manager)
    _at_known_times(run, contract)

    assert remind_task(task.id, task.version) == "reminded"

    db.session.expire_all()
    note = db.session.scalars(select(Notification).where(Notification.user_id == org.manager.id)
                              .order_by(Notification.id.desc())).first()
    assert LOCAL in note.body and "02:03" not in note.body


def test_the_mail_outbox_shows_when_in_shanghai_time(org, login):
    publish_chain([step("manager", [{"manager_of": "submitter"}])])
    engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    db.session.execute(update(MailMessage).where(MailMessage.to == org.manager.email).values(created_at=UTC))
    db.session.commit()
    message = db.session.scalars(select(MailMessage).where(MailMessage.to == org.manager.email)).one()
    admin = login(org.admin)

    _in_local_time(text(admin.get("/mail_outbox/list/")))                    # newest first
    _in_local_time(text(admin.get(f"/mail_outbox/show/{message.id}")))
