"""Who hears of an approval's end: the submitter once (from the approval), followers of the
document by the usual change notice."""
from __future__ import annotations

from sqlalchemy import select

from app.core import collab
from app.core.notify import Notification
from app.extensions import db
from app.workflow import engine
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import publish_chain, step, task_of, user_rule


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
