"""Delegations (委托): while A is away, approval tasks created for A go to D, who acts on A's
behalf (resolver.delegate_for applies them when a task is created; tasks created earlier stay
where they are)."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.core.errors import Forbidden, NotFound, ValidationErrors
from app.core.org import User
from app.core.transaction import unit_of_work
from app.extensions import db
from app.workflow.models import Delegation, WorkflowDefinition
from app.workflow.resolver import company_today


def create_delegation(actor, user_id: int | None, delegate_id: int | None, starts_on: dt.date | None,
                      ends_on: dt.date | None, definition_name: str | None = None, *,
                      any_user: bool = False) -> Delegation:
    """Let `delegate_id` approve for `user_id` from `starts_on` to `ends_on` (company dates,
    inclusive), for one chain or all. Only admins (`any_user`) set up delegations for others.

    Refuses (ValidationErrors by field, nothing written): dates missing or out of order, a period
    already over, delegating to oneself, an inactive or unknown delegate, an unknown chain, and
    a period overlapping another delegation of the same person for the same chain.
    """
    with unit_of_work(actor):
        user_id = user_id or actor.id
        if user_id != actor.id and not any_user:
            raise Forbidden("workflow.delegation_forbidden", _("You can only delegate your own approvals."))
        user = _user(user_id)
        if user is None:
            raise ValidationErrors({"user": [_("Please choose a user.")]}, code="workflow.bad_delegation")
        errors: dict[str, list[str]] = {}
        delegate = _user(delegate_id)
        if delegate is None:
            errors["delegate"] = [_("Please choose who approves in your place.")]
        elif delegate.id == user.id:
            errors["delegate"] = [_("A person cannot delegate to themselves.")]
        elif not delegate.active:
            errors["delegate"] = [_("%(name)s is deactivated; choose an active user.", name=delegate.display_name)]
        if starts_on is None:
            errors["starts_on"] = [_("Please enter the first day.")]
        if ends_on is None:
            errors["ends_on"] = [_("Please enter the last day.")]
        elif starts_on is not None and ends_on < starts_on:
            errors["ends_on"] = [_("The last day cannot be before the first day.")]
        elif ends_on < company_today():
            errors["ends_on"] = [_("The period is already over.")]
        name = (definition_name or "").strip() or None
        if name is not None and db.session.scalar(
                select(WorkflowDefinition.id).where(WorkflowDefinition.name == name)) is None:
            errors["definition"] = [_("The approval chain %(name)s does not exist.", name=name)]
        if not errors:
            # One chain's delegation overlaps the all-chains one and its own; an all-chains one overlaps every one.
            stmt = select(Delegation).where(Delegation.user_id == user.id, Delegation.starts_on <= ends_on,
                                            Delegation.ends_on >= starts_on)
            if name is not None:
                stmt = stmt.where(or_(Delegation.definition_name.is_(None), Delegation.definition_name == name))
            clash = db.session.scalar(stmt.order_by(Delegation.starts_on).limit(1))
            if clash is not None:
                errors["starts_on"] = [_("%(user)s already delegates to %(name)s from %(start)s to %(end)s; "
                                         "delete that delegation first.", user=user.display_name,
                                         name=clash.delegate.display_name, start=clash.starts_on.isoformat(),
                                         end=clash.ends_on.isoformat())]
        if errors:
            raise ValidationErrors(errors, code="workflow.bad_delegation")
        row = Delegation(user_id=user.id, delegate_id=delegate.id, starts_on=starts_on, ends_on=ends_on,
                         definition_name=name)
        db.session.add(row)
    return row


def _user(user_id) -> User | None:
    """The user with this id; None for ids no user can have (a typed number beyond the column's range)."""
    return db.session.get(User, user_id) if isinstance(user_id, int) and 0 < user_id < 2 ** 31 else None


def find_delegation(actor, delegation_id: int, *, any_user: bool = False) -> Delegation:
    """The delegation if the actor may manage it (their own, or anyone's for admins); other
    people's are reported as not found."""
    row = db.session.get(Delegation, delegation_id)
    if row is None or (row.user_id != actor.id and not any_user):
        raise NotFound("workflow.no_delegation", _("This delegation does not exist."))
    return row


def delete_delegation(actor, delegation_id: int, *, any_user: bool = False) -> None:
    """End a delegation now: new tasks go to the person again. Tasks already given to the
    delegate stay with them."""
    with unit_of_work(actor):
        db.session.delete(find_delegation(actor, delegation_id, any_user=any_user))


def delegations(user=None) -> list[Delegation]:
    """A user's delegations (everyone's when `user` is None), newest period first."""
    stmt = select(Delegation).order_by(Delegation.ends_on.desc(), Delegation.id.desc())
    if user is not None:
        stmt = stmt.where(Delegation.user_id == user.id)
    return list(db.session.scalars(stmt.limit(500)))


def delegated_to(user) -> list[Delegation]:
    """Delegations in which the user approves for someone else, current and future."""
    return list(db.session.scalars(select(Delegation).where(
        Delegation.delegate_id == user.id, Delegation.ends_on >= company_today()).order_by(Delegation.starts_on)))
