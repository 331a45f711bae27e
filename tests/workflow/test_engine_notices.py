"""Who hears of an approval action: the submitter once (from the approval), followers of the
document by the usual change notice, and everyone else once per action — one event, one
notice per person, the most useful one."""
from __future__ import annotations

from sqlalchemy import select

from app.core import collab
from app.core.notify import Notification
from app.extensions import db
from app.workflow import engine
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, publish_chain, step, task_of, user_rule


def _about(user, contract) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.link == f"/contracts/show/{contract.id}")
        .order_by(Notification.id)))


def test_the_submitter_is_told_of_the_approval_once_and_a_follower_sees_the_status_change(org):
    publish_chain([step("finance", user_rule(org.finance_user))])
    contract = make_contract(org.east_rep, amount="50000.00")
    collab.follow(org.admin, "contracts", contract.id)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    before_owner, before_follower = len(_about(org.east_rep, contract)), len(_about(org.admin, contract))

    engine.approve(org.finance_user, task_of(run, org.finance_user).id)

    owner_notes = _about(org.east_rep, contract)[before_owner:]
    assert len(owner_notes) == 1, [n.title for n in owner_notes]
    assert contract.title in owner_notes[0].title
    follower_notes = _about(org.admin, contract)[before_follower:]
    assert len(follower_notes) == 1 and org.finance_user.display_name in follower_notes[0].title


# -- one event, one notice per person ------------------------------------------------------------------
OWNER_COPIED = [{"on": ["approved", "rejected"], "to": [{"field": "owner_id"}]}]


def _all_of(user) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


class _Inbox:
    """The notices a person receives from here on."""

    def __init__(self, user):
        self.user, self.seen = user, len(_all_of(user))

    def new(self) -> list[str]:
        notes = _all_of(self.user)[self.seen:]
        self.seen += len(notes)
        return [n.title for n in notes]


def _words(msgid, **params) -> str:
    from flask_babel import gettext

    return gettext(msgid, **params)


def test_the_owner_copied_on_approved_who_submitted_hears_once_that_it_was_approved(org):
    publish_chain([step("manager", [{"manager_of": "submitter"}])], cc=OWNER_COPIED)
    contract = make_contract(org.east_rep)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    owner = _Inbox(org.east_rep)

    engine.approve(org.manager, task_of(run, org.manager).id)

    assert owner.new() == [_words("Approved: %(doc)s", doc=run.title)]
    assert [a.target_id for a in actions(run, "cc")] == [org.east_rep.id]   # the copy is still on record


def test_the_owner_copied_on_rejected_who_submitted_hears_once_with_the_comment(org):
    publish_chain([step("manager", [{"manager_of": "submitter"}])], cc=OWNER_COPIED)
    contract = make_contract(org.east_rep)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    owner = _Inbox(org.east_rep)

    engine.reject(org.manager, task_of(run, org.manager).id, "价格太低")

    assert owner.new() == [_words("Rejected: %(doc)s", doc=run.title)]
    assert "价格太低" in _all_of(org.east_rep)[-1].body


def test_the_next_approver_copied_on_the_step_hears_only_that_it_is_their_turn(org):
    publish_chain([step("manager", [{"manager_of": "submitter"}],
                        cc=[{"on": ["step_done"], "to": user_rule(org.finance_user)}]),
                   step("finance", user_rule(org.finance_user))])
    contract = make_contract(org.east_rep)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    finance = _Inbox(org.finance_user)

    engine.approve(org.manager, task_of(run, org.manager).id)

    assert finance.new() == [_words("Please approve: %(doc)s", doc=run.title)]


def test_someone_copied_on_the_last_step_and_on_approval_hears_once(org):
    boss = make_user("Manager")
    publish_chain([step("manager", [{"manager_of": "submitter"}], cc=[{"on": ["step_done"], "to": user_rule(boss)}])],
                  cc=[{"on": ["approved"], "to": user_rule(boss)}])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    watcher = _Inbox(boss)

    engine.approve(org.manager, task_of(run, org.manager).id)

    assert len(watcher.new()) == 1


def test_nobody_gets_a_copy_of_what_they_did_themselves(org):
    publish_chain([step("manager", [{"manager_of": "submitter"}])],
                  cc=[{"on": ["submitted"], "to": [{"field": "owner_id"}]},
                      {"on": ["approved"], "to": user_rule(org.manager)}])
    contract = make_contract(org.east_rep)
    submitter, approver = _Inbox(org.east_rep), _Inbox(org.manager)

    run = engine.submit(org.east_rep, "contracts", contract.id)
    assert submitter.new() == []                                  # she submitted it herself
    assert approver.new() == [_words("Please approve: %(doc)s", doc=run.title)]
    engine.approve(org.manager, task_of(run, org.manager).id)
    assert approver.new() == []                                   # he approved it himself
    assert submitter.new() == [_words("Approved: %(doc)s", doc=run.title)]


def test_a_follower_who_is_the_approver_hears_only_that_it_is_their_turn(org):
    publish_chain([step("manager", [{"manager_of": "submitter"}])])
    contract = make_contract(org.east_rep)
    collab.follow(org.manager, "contracts", contract.id)
    approver = _Inbox(org.manager)

    run = engine.submit(org.east_rep, "contracts", contract.id)

    assert approver.new() == [_words("Please approve: %(doc)s", doc=run.title)]


def test_an_approver_copied_on_a_withdrawal_hears_once_that_their_task_is_closed(org):
    publish_chain([step("manager", [{"manager_of": "submitter"}])], withdraw="anytime",
                  cc=[{"on": ["withdrawn"], "to": user_rule(org.manager)}])
    contract = make_contract(org.east_rep)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    approver = _Inbox(org.manager)

    engine.withdraw(org.east_rep, run.id, "金额写错了")

    assert approver.new() == [_words("Withdrawn: %(doc)s", doc=run.title)]


def test_an_urge_links_each_approver_to_their_own_task(org):
    a, b = make_user("Manager"), make_user("Manager")
    publish_chain([step("both", user_rule(a, b), mode="all")])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    first, second = _Inbox(a), _Inbox(b)

    engine.urge(org.east_rep, run.id)

    assert len(first.new()) == 1 and len(second.new()) == 1
    assert _all_of(a)[-1].link == f"/approvals/task/{task_of(run, a).id}"
    assert _all_of(b)[-1].link == f"/approvals/task/{task_of(run, b).id}"
