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

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import func, inspect as sa_inspect, select, update
from sqlalchemy.orm import lazyload

from app.core.clock import company_today
from app.core.errors import DomainError, ValidationErrors
from app.core.numbering import next_number
from app.core.org import AppUser
from app.core.scope import can_see, may_assign_to
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.contracts.models import (APPROVED, ARCHIVED, DRAFT, ENDINGS, EXPIRED, EXPIRING, IN_APPROVAL, RENEWED, SIGNED, SIGNED_STATES,
                                          SIGNING, SIGNING_PAPER, CANCELLED, CURRENT, WAITING, Contract,
                                          ContractSeal, ContractSigner, ContractType, CUSTOMER_FIRST, OURS_FIRST)

CENT = Decimal("0.01")
# What the parties signed: fixed once a contract is signed (a change is a new contract).
TERMS = ("title", "customer_id", "amount", "standard_terms", "signed_on", "starts_on", "ends_on", "type_id",
         "contact_id", "terms")


def _today() -> dt.date:
    return company_today()


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
    type_id = _chosen_id(contract, "type")
    if type_id is not None:
        chosen = db.session.get(ContractType, type_id)
        if chosen is None or (not chosen.active and _stored_type(contract) != type_id):
            errors.setdefault("type", []).append(_("Choose a contract type from the list."))
    contact_id = _chosen_id(contract, "contact")
    if contact_id is not None:
        from app.modules.customers.api import Contact

        contact = db.session.get(Contact, contact_id)
        if contact is None or contact.customer_id != _customer_id(contract):
            errors.setdefault("contact", []).append(_("Choose one of the customer's contacts."))
    if contract.terms is not None:
        contract.terms = contract.terms.strip() or None
        if contract.terms and len(contract.terms) > 50000:
            errors.setdefault("terms", []).append(_("The terms are at most 50,000 characters."))
    if errors:
        raise ValidationErrors(errors, code="contracts.invalid")


def _stored_type(contract: Contract):
    if contract.id is None:
        return None
    with db.session.no_autoflush:
        return db.session.scalar(select(Contract.type_id).where(Contract.id == contract.id))


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
        relation = attribute[:-3] if attribute.endswith("_id") else None
        now = _chosen_id(contract, relation) if relation else getattr(contract, attribute)
        if now != getattr(stored, attribute):
            field = relation or attribute
            raise DomainError("contracts.signed_terms",
                              _("The terms of a signed contract cannot be changed; make a new contract instead."),
                              field=field)


def _check_amount_follows_lines(contract: Contract) -> None:
    from app.modules.contracts.lines import lines_total, yuan

    if contract.id is None:
        return
    total = lines_total(contract.id)
    if total is not None and contract.amount != total:
        raise ValidationErrors({"amount": [_(
            "The contract amount is the total of its lines, %(total)s: change the lines instead.", total=yuan(total))]},
            code="contracts.invalid")


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
        if stored.status == ARCHIVED:
            raise DomainError("contracts.archived", _(
                "Contract %(code)s is archived: it can no longer be changed.", code=contract.code))
        _validate(contract)
        if stored.status in SIGNED_STATES:
            _check_terms_unchanged(contract, stored)
        _check_amount_follows_lines(contract)
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


def mark_signed(actor, contracts: list[Contract]) -> str:
    """Mark approved contracts (or those being signed) as signed (signed today unless a signing date was
    entered). Refuses the whole selection, changing nothing, when any of them cannot be signed. A signed
    renewal marks the contract it renews 已续签; a contract whose end is near is 即将到期 at once."""
    with unit_of_work(actor):
        wrong = "、".join(c.code for c in contracts if c.status not in (APPROVED, SIGNING))
        if wrong:
            raise DomainError("contracts.not_approved",
                              _("Only approved contracts can be marked as signed: %(codes)s.", codes=wrong))
        today = _today()
        for contract in contracts:
            contract.status = SIGNED
            contract.signed_on = contract.signed_on or today
            # signed on paper: electronic signing still under way is called off
            db.session.execute(update(ContractSigner).where(
                ContractSigner.contract_id == contract.id, ContractSigner.status.in_((WAITING, CURRENT)))
                .values(status=CANCELLED, link_hash=None))
            contract.signing_state = SIGNING_PAPER
            renewal_signed(contract)
            watch(contract, today)
    return _("%(count)d contract(s) marked as signed.", count=len(contracts))


ARCHIVABLE = (SIGNED, EXPIRING, *ENDINGS)


def archive(actor, contracts: list[Contract]) -> str:
    """Archive signed contracts (in force, expired, renewed or terminated). Refuses the whole selection,
    changing nothing, when any of them is not signed."""
    with unit_of_work(actor):
        wrong = "、".join(c.code for c in contracts if c.status not in ARCHIVABLE)
        if wrong:
            raise DomainError("contracts.not_signed", _("Only signed contracts can be archived: %(codes)s.", codes=wrong))
        for contract in contracts:
            if contract.status in ENDINGS:
                contract.ended_as = contract.status
            contract.status = ARCHIVED
    return _("%(count)d contract(s) archived.", count=len(contracts))


DEFAULT_NOTICE = 30


def notice_days(contract_type: ContractType | None) -> int:
    return contract_type.notice_days if contract_type is not None and contract_type.notice_days is not None \
        else DEFAULT_NOTICE


def watch(contract: Contract, today: dt.date) -> None:
    """Moves a contract in force to 即将到期 or 已到期 by its end date."""
    if contract.status not in (SIGNED, EXPIRING) or contract.ends_on is None:
        return
    if contract.ends_on < today:
        contract.status, contract.ended_as = EXPIRED, EXPIRED
    elif contract.status == SIGNED and (contract.ends_on - today).days <= notice_days(contract.type):
        contract.status = EXPIRING


def renewal_signed(contract: Contract) -> None:
    """The contract a signed renewal replaces becomes 已续签."""
    if contract.renewed_from_id is None:
        return
    old = db.session.execute(select(Contract).where(Contract.id == contract.renewed_from_id)
                             .options(lazyload("*")).with_for_update(of=Contract)).scalar()
    if old is not None and old.status in (SIGNED, EXPIRING, EXPIRED):
        old.status = old.ended_as = RENEWED


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
    if contract.status == ARCHIVED:
        return False
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
    if contract.status in ARCHIVABLE:
        return [Alternative(_("archive it"), link)]
    return []


class contracts:
    """The hooks the generated screens and API call for contracts."""
    create, update, delete = staticmethod(create_contract), staticmethod(update_contract), staticmethod(delete_contract)


# -- contract types ------------------------------------------------------------------------------------------
def save_type(actor, item: ContractType) -> ContractType:
    """A contract type: a unique name, a notice period of 0–3650 days and reminder days such as 30,15,7,0."""
    with unit_of_work(actor):
        errors: dict[str, list[str]] = {}
        item.name = (item.name or "").strip()[:60]
        if not item.name:
            errors["name"] = [_("Please enter the name.")]
        elif db.session.scalar(select(ContractType.id).where(ContractType.name == item.name,
                                                             ContractType.id != (item.id or 0))):
            errors["name"] = [_("A contract type with this name already exists.")]
        notice = item.notice_days if item.notice_days is not None else 30
        if not isinstance(notice, int) or not 0 <= notice <= 3650:
            errors["notice_days"] = [_("Enter a number of days from 0 to 3650.")]
        parts = [p.strip() for p in (item.reminder_days or "").replace("，", ",").split(",") if p.strip()]
        if not parts or any(not p.isdigit() or int(p) > 3650 for p in parts):
            errors["reminder_days"] = [_("Enter days before the end separated by commas, e.g. 30,15,7,0.")]
        item.sign_order = item.sign_order or OURS_FIRST
        if item.sign_order not in (OURS_FIRST, CUSTOMER_FIRST):
            errors["sign_order"] = [_("Choose who signs first.")]
        signer = item.signer if item.signer is not None else (
            db.session.get(AppUser, item.signer_id) if item.signer_id else None)
        if item.signer_id and signer is None:
            errors["signer_id"] = [_("No such user.")]
        elif signer is not None and not signer.active:
            errors["signer_id"] = [_("%(name)s is not active and cannot sign.", name=signer.username)]
        if errors:
            raise ValidationErrors(errors)
        item.notice_days = notice
        item.reminder_days = ",".join(str(d) for d in sorted({int(p) for p in parts}, reverse=True))
        item.active = True if item.active is None else item.active
        item.sort_order = item.sort_order or 0
        db.session.add(item)
    return item


def delete_type(actor, item: ContractType) -> None:
    """A type no contract uses may be deleted; one in use is taken out of use instead."""
    with unit_of_work(actor):
        used = db.session.scalar(select(func.count()).select_from(Contract).where(Contract.type_id == item.id))
        if used:
            raise DomainError("contracts.type_in_use", _(
                "%(count)d contract(s) are of this type: untick “In use” instead of deleting it.", count=used))
        db.session.delete(item)


class contract_types:
    create = update = staticmethod(save_type)
    delete = staticmethod(delete_type)


# -- company seals -------------------------------------------------------------------------------------------
def save_seal(actor, item: ContractSeal) -> ContractSeal:
    """A company seal: a unique name; its picture is uploaded among its attachments."""
    with unit_of_work(actor):
        item.name = (item.name or "").strip()[:60]
        if not item.name:
            raise ValidationErrors({"name": [_("Please enter the name.")]})
        if db.session.scalar(select(ContractSeal.id).where(ContractSeal.name == item.name,
                                                           ContractSeal.id != (item.id or 0))):
            raise ValidationErrors({"name": [_("A seal with this name already exists.")]})
        item.active = True if item.active is None else item.active
        db.session.add(item)
    return item


def delete_seal(actor, item: ContractSeal) -> None:
    with unit_of_work(actor):
        db.session.delete(item)


class contract_seals:
    create = update = staticmethod(save_seal)
    delete = staticmethod(delete_seal)
