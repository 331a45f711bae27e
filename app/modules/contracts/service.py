"""Contract operations. Screens, API, jobs and the CLI all call these.

Each function takes the acting user explicitly, validates, writes in one transaction and raises
DomainError (nothing written) when a rule refuses.

The status is never written by forms or the API: a contract starts as a draft, the approval
engine moves it through in_approval to approved or rejected (it owns that part of the life
cycle), and only an approved contract can be marked signed, only a signed one archived.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import func, inspect as sa_inspect, select

from app.core.errors import DomainError, ValidationErrors
from app.core.numbering import next_number
from app.core.scope import can_see, may_assign_to
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.contracts.models import APPROVED, ARCHIVED, DRAFT, IN_APPROVAL, SIGNED, Contract

CENT = Decimal("0.01")
# What the parties signed: fixed once a contract is signed (a change is a new contract).
TERMS = ("title", "customer_id", "amount", "standard_terms", "signed_on", "starts_on", "ends_on")


def _today() -> dt.date:
    """Today in the company's time zone (a contract signed at 07:00 in Shanghai is signed today)."""
    return dt.datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _amount(value, errors: dict) -> Decimal | None:
    if value is None or value == "":
        errors.setdefault("amount", []).append(_("Please enter the contract amount."))
        return None
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        errors.setdefault("amount", []).append(_("Please enter an amount, e.g. 50000.00."))
        return None
    if amount < 0:
        errors.setdefault("amount", []).append(_("The amount cannot be negative."))
    if amount >= Decimal("1e16"):
        errors.setdefault("amount", []).append(_("The amount is too large."))
    return amount


def _chosen_id(contract: Contract, relation: str):
    """The id a many-to-one relation will hold once saved. A form sets the relation (e.g.
    `customer`), the API the column (`customer_id`); a loaded relation that nobody changed
    does not say what the column was changed to."""
    history = sa_inspect(contract).attrs[relation].history
    if history.added or history.deleted:
        chosen = history.added[0] if history.added else None
        return chosen.id if chosen is not None else None
    return getattr(contract, f"{relation}_id")


def _customer_id(contract: Contract):
    return _chosen_id(contract, "customer")


def _validate(contract: Contract) -> None:
    errors: dict[str, list[str]] = {}
    contract.title = (contract.title or "").strip()
    if not contract.title:
        errors.setdefault("title", []).append(_("Please enter the contract title."))
    elif len(contract.title) > 200:
        errors.setdefault("title", []).append(_("The contract title is at most 200 characters."))
    if _customer_id(contract) is None:
        errors.setdefault("customer", []).append(_("Please choose the customer."))
    amount = _amount(contract.amount, errors)
    if amount is not None:
        contract.amount = amount
    if contract.standard_terms is None:
        contract.standard_terms = True
    if contract.starts_on and contract.ends_on and contract.ends_on < contract.starts_on:
        errors.setdefault("ends_on", []).append(_("The end date cannot be before the start date."))
    if _chosen_id(contract, "owner") is None:
        errors.setdefault("owner", []).append(_("Please choose the owner."))
    if errors:
        raise ValidationErrors(errors, code="contracts.invalid")


def _check_customer_visible(actor, contract: Contract) -> None:
    """A contract may only be made with a customer the actor can see; the answer for one they
    cannot see is the same as for one that does not exist."""
    customer_id = _customer_id(contract)
    if customer_id is None or not can_see("customers", actor, customer_id):
        raise DomainError("contracts.no_customer", _("Customer not found."), field="customer")


def _check_owner(actor, contract: Contract, stored=None) -> None:
    """The owner must exist and be someone the actor may hand contracts to. The department is
    the owner's unless someone chose another; never the customer's: the two have their own
    scopes. A department left as it was follows a new owner."""
    from app.core.org import Department, User
    from app.modules.customers.api import department_for

    owner_id = _chosen_id(contract, "owner")
    owner = db.session.get(User, owner_id) if owner_id is not None else None
    if owner is None:
        raise DomainError("contracts.no_owner", _("Please choose the owner."), field="owner")
    contract.owner = owner
    if not may_assign_to(actor, "contracts", owner):
        raise DomainError("contracts.owner_out_of_scope",
                          _("You may not assign contracts to %(name)s.", name=owner.display_name), field="owner")
    department_id = department_for(owner, _chosen_id(contract, "department"),
                                   stored.owner_id if stored is not None else None,
                                   stored.department_id if stored is not None else None)
    department = db.session.get(Department, department_id) if department_id else None
    if department_id and department is None:
        raise DomainError("contracts.no_department", _("Department not found."), field="department")
    contract.department = department


def _stored(contract: Contract):
    """The contract's row as stored, whatever has been assigned to the object since (an object
    changed after its attributes expired keeps no record of the old values)."""
    with db.session.no_autoflush:
        return db.session.execute(select(*Contract.__table__.columns).where(Contract.id == contract.id)).one()


def _check_terms_unchanged(contract: Contract, stored) -> None:
    for attribute in TERMS:
        now = _customer_id(contract) if attribute == "customer_id" else getattr(contract, attribute)
        if now != getattr(stored, attribute):
            field = "customer" if attribute == "customer_id" else attribute
            raise DomainError("contracts.signed_terms",
                              _("The terms of a signed contract cannot be changed; make a new contract instead."),
                              field=field)


def create_contract(actor, contract: Contract) -> Contract:
    """Add a draft contract with the next number of the "contract" rule (HT-yyyy-nnnnn), for a
    customer the actor can see.

    Owner defaults to the actor, department to the owner's. Any other status than draft is
    refused: approval decides the rest.
    """
    with unit_of_work(actor):
        if contract.status not in (None, DRAFT):
            raise DomainError("contracts.status_not_writable",
                              _("A new contract is always a draft; approval changes its status."), field="status")
        contract.status = DRAFT
        if _chosen_id(contract, "owner") is None and actor is not None:
            contract.owner = actor
        _validate(contract)
        _check_customer_visible(actor, contract)
        _check_owner(actor, contract)
        contract.code = next_number("contract")
        db.session.add(contract)
    return contract


def update_contract(actor, contract: Contract) -> Contract:
    """Save changes to a contract; the code and the status never change here (approval and the
    sign / archive actions move the status). The customer may change only to one the actor can
    see. The terms of a signed or archived contract never change; its owner, department and
    notes may."""
    with unit_of_work(actor):
        stored = _stored(contract)
        if contract.status != stored.status:
            raise DomainError("contracts.status_not_writable",
                              _("The status of a contract changes only through approval, signing and archiving."),
                              field="status")
        _validate(contract)
        if stored.status in (SIGNED, ARCHIVED):
            _check_terms_unchanged(contract, stored)
        if _customer_id(contract) != stored.customer_id:
            _check_customer_visible(actor, contract)
        _check_owner(actor, contract, stored)
    return contract


def delete_contract(actor, contract: Contract) -> None:
    """Delete a draft contract. Anything that went into approval stays, for the record: a
    contract with approvals is refused (409), naming them."""
    from app.core.references import refuse_if_referenced

    with unit_of_work(actor):
        refuse_if_referenced(actor, contract, "contracts.in_use")
        if _stored(contract).status != DRAFT:
            raise DomainError("contracts.not_draft",
                              _("Only draft contracts can be deleted; %(code)s is no longer a draft.",
                                code=contract.code))
        db.session.delete(contract)


def _not_in(contracts: list[Contract], status: str) -> str:
    """The codes of the contracts whose status is not `status`, as one list for a message."""
    return "、".join(c.code for c in contracts if c.status != status)


def mark_signed(actor, contracts: list[Contract]) -> str:
    """Mark approved contracts as signed (signed today unless a signing date was entered).
    Refuses the whole selection, changing nothing, when any of them is not approved."""
    with unit_of_work(actor):
        wrong = _not_in(contracts, APPROVED)
        if wrong:
            raise DomainError("contracts.not_approved",
                              _("Only approved contracts can be marked as signed: %(codes)s.", codes=wrong))
        today = _today()
        for contract in contracts:
            contract.status = SIGNED
            contract.signed_on = contract.signed_on or today
    return _("%(count)d contract(s) marked as signed.", count=len(contracts))


def archive(actor, contracts: list[Contract]) -> str:
    """Archive signed contracts. Refuses the whole selection, changing nothing, when any of
    them is not signed."""
    with unit_of_work(actor):
        wrong = _not_in(contracts, SIGNED)
        if wrong:
            raise DomainError("contracts.not_signed", _("Only signed contracts can be archived: %(codes)s.", codes=wrong))
        for contract in contracts:
            contract.status = ARCHIVED
    return _("%(count)d contract(s) archived.", count=len(contracts))


# -- what keeps contracts and customers from being deleted ----------------------------------------
def approval_blockers(actor, contract: Contract) -> list:
    """The approvals a contract went through (running or finished)."""
    from app.core.references import Blocker
    from app.workflow.models import ApprovalInstance

    count = db.session.scalar(select(func.count()).select_from(ApprovalInstance).where(
        ApprovalInstance.document == "contracts", ApprovalInstance.record_id == contract.id))
    link = f"/contracts/show/{contract.id}#zwt-tab-approval"
    return [Blocker(_("approvals"), count or 0, link=link)]


def customer_approval_blockers(actor, customer) -> list:
    """The approvals of a customer's contracts (the contracts themselves block it already)."""
    from app.core.references import Blocker
    from app.workflow.models import ApprovalInstance

    count = db.session.scalar(select(func.count()).select_from(ApprovalInstance).where(
        ApprovalInstance.document == "contracts",
        ApprovalInstance.record_id.in_(select(Contract.id).where(Contract.customer_id == customer.id))))
    return [Blocker(_("approvals"), count or 0, link=f"/contracts/list/?_flt_0_customer={customer.id}")]


def may_edit(actor, contract: Contract) -> bool:
    """Whether the edit form can save anything: a contract in approval is read-only except for
    the fields its current step lets its current approvers change."""
    if contract.status != IN_APPROVAL:
        return True
    if actor is None:
        return False
    prepared = g.get("_contracts_may_edit", {}) if has_request_context() else {}
    if (actor.id, contract.id) in prepared:
        return prepared[(actor.id, contract.id)]
    from app.workflow.engine import definition_of
    from app.workflow.models import PENDING, RUNNING, ApprovalInstance, ApprovalTask

    instance = db.session.scalar(select(ApprovalInstance).where(
        ApprovalInstance.document == "contracts", ApprovalInstance.record_id == contract.id,
        ApprovalInstance.status == RUNNING).order_by(ApprovalInstance.id.desc()).limit(1))
    if instance is None:
        return True
    approver = db.session.scalar(select(ApprovalTask.id).where(
        ApprovalTask.instance_id == instance.id, ApprovalTask.round == instance.round,
        ApprovalTask.status == PENDING, ApprovalTask.assignee_id == actor.id).limit(1))
    return bool(approver and definition_of(instance).step(instance.current_step).editable_fields)


def _prepare_may_edit(actor, contracts) -> None:
    """may_edit for a list's rows at once: the running approval of each contract in approval and
    whether the actor holds one of its open tasks, in one statement."""
    ids = [c.id for c in contracts if c.status == IN_APPROVAL]
    if actor is None or not ids or not has_request_context():
        return
    from app.workflow.engine import definition_of
    from app.workflow.models import PENDING, RUNNING, ApprovalInstance, ApprovalTask

    holds = (select(ApprovalTask.id).where(
        ApprovalTask.instance_id == ApprovalInstance.id, ApprovalTask.round == ApprovalInstance.round,
        ApprovalTask.status == PENDING, ApprovalTask.assignee_id == actor.id).exists())
    found = db.session.execute(
        select(ApprovalInstance, holds).where(
            ApprovalInstance.document == "contracts", ApprovalInstance.record_id.in_(ids),
            ApprovalInstance.status == RUNNING).order_by(ApprovalInstance.id.desc())).all()
    prepared = g.setdefault("_contracts_may_edit", {})
    for instance, approver in found:
        key = (actor.id, instance.record_id)
        if key not in prepared:   # the latest running approval of the contract
            prepared[key] = bool(approver and definition_of(instance).step(instance.current_step).editable_fields)
    for contract_id in ids:
        prepared.setdefault((actor.id, contract_id), True)


may_edit.prepare = _prepare_may_edit


def alternatives_to_deleting(actor, contract: Contract) -> list:
    from app.core.references import Alternative

    link = f"/contracts/show/{contract.id}"
    if contract.status == APPROVED:
        return [Alternative(_("mark it as signed"), link)]
    if contract.status == SIGNED:
        return [Alternative(_("archive it"), link)]
    return []


class contracts:
    """The hooks the generated screens and API call for contracts."""
    create, update, delete = staticmethod(create_contract), staticmethod(update_contract), staticmethod(delete_contract)
