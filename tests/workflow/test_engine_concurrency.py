"""Two approvers acting at the same instant (scenarios 3 and 4): every action is a
compare-and-set on the instance, so a step advances exactly once. Run on PostgreSQL in CI
(and on SQLite, where the database serialises writers)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.core.errors import DomainError
from app.core.notify import Notification
from app.extensions import db
from app.workflow import engine, frame
from app.workflow.models import ApprovalTask
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, fresh, publish_chain, step, task_of, tasks, user_rule


def _at_once(app, calls, monkeypatch):
    """Run each (user_id, task_id, fn) in its own thread and session, released together; the
    first attempts of all of them read the instance before any of them writes, so they really
    collide (the losers' compare-and-set fails and they run again on fresh state)."""
    barrier = threading.Barrier(len(calls))
    collide = threading.Barrier(len(calls), timeout=10)
    first_attempt = threading.local()
    results = [None] * len(calls)
    claim = frame._claim

    def colliding_claim(instance):
        if not getattr(first_attempt, "done", False):
            first_attempt.done = True
            collide.wait()
        return claim(instance)

    monkeypatch.setattr(frame, "_claim", colliding_claim)
    retries = []
    monkeypatch.setattr(frame.log, "info", lambda *args: retries.append(args))

    def work(i, user_id, task_id, fn):
        with app.app_context():
            from app.core.org import User

            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                fn(user, task_id)
                results[i] = "ok"
            except DomainError as error:
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i, *call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert retries, "the actions did not collide"
    return results


def _notes_for(user) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user.id)) or 0


def test_last_two_approvers_of_an_all_step_at_the_same_instant_advance_it_once(org, app, monkeypatch):
    for _ in range(3):
        a, b, c = make_user("Manager"), make_user("Manager"), make_user("Finance")
        publish_chain([step("joint", user_rule(a, b), mode="all"), step("final", user_rule(c))])
        run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
        task_a, task_b = task_of(run, a), task_of(run, b)
        before = _notes_for(c)

        results = _at_once(app, monkeypatch=monkeypatch, calls=[(a.id, task_a.id, engine.approve), (b.id, task_b.id, engine.approve)])

        assert results == ["ok", "ok"]
        assert len(actions(run, "approve")) == 2
        assert fresh(run).current_step == "final"
        final_tasks = tasks(run, step_id="final")
        assert len(final_tasks) == 1 and final_tasks[0].assignee_id == c.id
        assert _notes_for(c) - before == 1


def test_two_approvers_of_an_any_step_at_the_same_instant_one_wins(org, app, monkeypatch):
    for _ in range(3):
        a, b, c = make_user("Manager"), make_user("Manager"), make_user("Finance")
        publish_chain([step("either", user_rule(a, b), mode="any"), step("final", user_rule(c))])
        run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
        task_a, task_b = task_of(run, a), task_of(run, b)

        results = _at_once(app, monkeypatch=monkeypatch, calls=[(a.id, task_a.id, engine.approve), (b.id, task_b.id, lambda user, task_id: engine.reject(user, task_id, "不同意"))])

        wins = [r for r in results if r == "ok"]
        losses = [r for r in results if isinstance(r, DomainError)]
        assert len(wins) == 1 and len(losses) == 1
        assert losses[0].code == "workflow.already_handled"
        decided = actions(run, "approve") + actions(run, "reject")
        assert len(decided) == 1
        winner = a if decided[0].action == "approve" else b
        assert winner.display_name in losses[0].message
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(ApprovalTask).where(
            ApprovalTask.instance_id == run.id, ApprovalTask.step_id == "final")) == (1 if decided[0].action == "approve" else 0)


def test_the_last_two_approvers_of_a_chain_at_the_same_instant_approve_the_document_once(org, app, monkeypatch):
    for _ in range(3):
        a, b = make_user("Manager"), make_user("Manager")
        publish_chain([step("joint", user_rule(a, b), mode="all")])
        contract = make_contract(org.east_rep)
        run = engine.submit(org.east_rep, "contracts", contract.id)
        task_a, task_b = task_of(run, a), task_of(run, b)
        before = _notes_for(org.east_rep)

        results = _at_once(app, monkeypatch=monkeypatch, calls=[(a.id, task_a.id, engine.approve), (b.id, task_b.id, engine.approve)])

        assert results == ["ok", "ok"]
        assert fresh(run).status == "approved" and len(actions(run, "approved")) == 1
        db.session.expire_all()
        assert db.session.get(type(contract), contract.id).status == "approved"
        assert _notes_for(org.east_rep) - before == 1
