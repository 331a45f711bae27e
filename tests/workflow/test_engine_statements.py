"""How few statements an approve takes, and that writing the claim, the tasks' changes, the
timeline and the next step's tasks together loses nothing when another action claimed the
approval first: the whole attempt is rolled back and runs again on fresh state."""
from __future__ import annotations

from sqlalchemy import event, func, select, update

from app.extensions import db
from app.workflow import engine, frame
from app.workflow.models import DONE_APPROVED, PENDING, VOID, ApprovalInstance, ApprovalTask
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, fresh, publish_chain, step, task_of, tasks, user_rule


def _statements_of(fn) -> list[str]:
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statements


def _signed_in(user):
    db.session.expire_all()
    person = db.session.get(type(user), user.id)
    person.username   # loaded before counting, as a signed-in request has it
    return person


def _shown(statements) -> str:
    return "\n".join(s.split("\n")[0][:120] for s in statements)


def test_an_approve_that_opens_the_next_step_is_four_statements_on_postgresql(org):
    first, second = make_user("Manager"), make_user("Manager")
    nxt, other = make_user("Finance"), make_user("Finance")
    publish_chain([step("manager", user_rule(first, second)), step("finance", user_rule(nxt, other)),
                   step("gm", user_rule(org.manager))])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    task_id = task_of(run, first).id
    approver = _signed_in(first)

    statements = _statements_of(lambda: engine.approve(approver, task_id))

    assert sorted(t.status for t in tasks(run, step_id="manager")) == sorted([DONE_APPROVED, VOID])
    assert {t.assignee_id for t in tasks(run, PENDING, "finance")} == {nxt.id, other.id}
    assert [a.action for a in actions(run)] == ["submit", "approve"]
    assert fresh(run).lock_version == 1 and fresh(run).current_step == "finance"
    # The instance with its round; the next approvers with their delegations; the claim, the
    # decided and voided tasks, the timeline and the next step's tasks; the notices with their
    # mails. SQLite has no statements inside statements: each write is its own.
    budget = 4 if db.engine.dialect.name == "postgresql" else 9
    assert len(statements) <= budget, _shown(statements)


def test_the_last_approve_of_a_chain_reads_document_and_submitter_together_and_writes_its_timeline_with_the_claim(org):
    approver, other = make_user("Manager"), make_user("Manager")
    publish_chain([step("manager", user_rule(approver, other))])
    contract = make_contract(org.east_rep)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    task_id = task_of(run, approver).id
    person = _signed_in(approver)

    statements = _statements_of(lambda: engine.approve(person, task_id))

    assert fresh(run).status == "approved"
    assert [a.action for a in actions(run)] == ["submit", "approve", "approved"]
    db.session.expire_all()
    assert db.session.get(type(contract), contract.id).status == "approved"
    # The document and the submitter told of the outcome are read in one statement.
    reads = [s for s in statements if s.lstrip().startswith("SELECT") and "FROM contract" in s]
    assert len(reads) == 1 and "JOIN ab_user" in reads[0], _shown(statements)
    assert not any(s.lstrip().startswith("SELECT ab_user") for s in statements), _shown(statements)
    if db.engine.dialect.name == "postgresql":
        timeline_inserts = [s for s in statements if "INSERT INTO wf_action" in s]
        assert len(timeline_inserts) == 1 and "claimed" in timeline_inserts[0], _shown(statements)
        assert len(statements) <= 8, _shown(statements)


def test_an_approve_whose_approval_was_claimed_meanwhile_is_rolled_back_whole_and_runs_again(org, app, monkeypatch):
    first, second, nxt = make_user("Manager"), make_user("Manager"), make_user("Finance")
    publish_chain([step("manager", user_rule(first, second)), step("finance", user_rule(nxt))])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    task_id = task_of(run, first).id
    claim, attempts = frame._claim, []

    def claimed_elsewhere(instance):
        attempts.append(instance.lock_version)
        if len(attempts) == 1:   # another action commits on this approval after our read
            with db.engine.connect() as other:
                other.execute(update(ApprovalInstance).where(ApprovalInstance.id == instance.id)
                              .values(lock_version=ApprovalInstance.lock_version + 1))
                other.commit()
        return claim(instance)

    monkeypatch.setattr(frame, "_claim", claimed_elsewhere)
    engine.approve(_signed_in(first), task_id)

    assert attempts == [0, 1], "the first attempt lost its claim and the action ran again"
    finance = tasks(run, step_id="finance")
    assert len(finance) == 1 and finance[0].assignee_id == nxt.id and finance[0].status == PENDING
    assert [a.action for a in actions(run)] == ["submit", "approve"]
    assert fresh(run).lock_version == 2
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ApprovalTask).where(
        ApprovalTask.instance_id == run.id)) == 3
