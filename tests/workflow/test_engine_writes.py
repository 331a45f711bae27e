"""What one approval action writes, and in how few statements: the next step's tasks, the
timeline, the next approver's notice and mail (or the notice alone, for someone who switched
mails off a moment ago), all in the action's own transaction."""
from __future__ import annotations

from sqlalchemy import event, func, select

from app.core.notify import MailMessage, Notification
from app.extensions import db
from app.security.preferences import set_wants_mail
from app.workflow import engine
from app.workflow.models import DONE_APPROVED, PENDING, VOID
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, publish_chain, step, task_of, tasks, user_rule


def _mails_to(user) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(MailMessage).where(MailMessage.to == user.email))


def _notices_of(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user.id))


def test_an_approver_who_switches_mails_off_gets_the_next_task_in_the_app_only_and_on_again_by_mail(org):
    publish_chain([step("finance", user_rule(org.finance_user)), step("manager", user_rule(org.manager))])
    first = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)   # settings read once
    assert _mails_to(org.finance_user) == 1

    set_wants_mail(org.manager, False)
    notices, mails = _notices_of(org.manager), _mails_to(org.manager)
    engine.approve(org.finance_user, task_of(first, org.finance_user).id)
    assert _notices_of(org.manager) == notices + 1, "the task's notice arrives in the app"
    assert _mails_to(org.manager) == mails, "and no mail, though mails were on when the action began"

    set_wants_mail(org.manager, True)
    second = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    engine.approve(org.finance_user, task_of(second, org.finance_user).id)
    assert _mails_to(org.manager) == mails + 1


def test_approving_an_any_one_step_voids_the_others_and_opens_the_next_in_a_handful_of_statements(org):
    others = [make_user("Finance", org.finance) for _ in range(2)]
    publish_chain([step("finance", user_rule(org.finance_user, *others)),
                   step("manager", user_rule(org.manager, org.admin))])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    task_id = task_of(run, org.finance_user).id
    db.session.expire_all()
    approver = db.session.get(type(org.finance_user), org.finance_user.id)
    approver.username   # loaded before counting, as a signed-in request has it

    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        engine.approve(approver, task_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    finance = tasks(run, step_id="finance")
    assert sorted(t.status for t in finance) == sorted([DONE_APPROVED, VOID, VOID])
    assert {t.assignee_id for t in tasks(run, PENDING, "manager")} == {org.manager.id, org.admin.id}
    assert [a.action for a in actions(run)][-1] == "approve"
    assert _mails_to(org.manager) == 1 and _mails_to(org.admin) == 1
    # Read the instance with its round; claim it and write the three tasks; insert the next
    # step's tasks with the timeline; the notices with their mails (PostgreSQL). SQLite has no
    # statements inside statements: each write is its own.
    budget = 5 if db.engine.dialect.name == "postgresql" else 9
    assert len(statements) <= budget, "\n".join(s.split("\n")[0][:120] for s in statements)
