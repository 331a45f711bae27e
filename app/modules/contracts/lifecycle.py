"""A contract after signing: watched for expiry, renewed (续签), terminated (终止) with a reason.

已签订 → 即将到期 (within its type's notice period) → 已到期 / 已续签 / 已终止 → 已归档. The daily job
(jobs.watch_expiry) moves contracts into 即将到期 and 已到期 and reminds the owner and their manager at the
type's reminder days (30, 15, 7 days before and on the day unless an admin set others): each reminder once,
claimed in the same transaction as its notices, so a second run or a worker that died half way never sends
one twice. 续签 makes a new draft linked to the old contract with its lines and plan, dates moved on by the
old contract's term; signing the new one marks the old one 已续签.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.contracts import service
from app.modules.contracts.service import notice_days
from app.modules.contracts.models import (APPROVED, ARCHIVED, DRAFT, ENDINGS, EXPIRED, EXPIRING, IN_APPROVAL,
                                          REJECTED, RENEWED, SIGNED, SIGNING, TERMINATED, Contract, ContractType)

DEFAULT_REMINDERS = (30, 15, 7, 0)
BATCH = 500


class WrongState(DomainError):
    status = 409


def path(contract: Contract) -> list[str]:
    """The contract's lifecycle as its progress bar draws it."""
    if contract.status == REJECTED:
        return [DRAFT, IN_APPROVAL, REJECTED]
    ending = contract.ended_as if contract.ended_as in ENDINGS else (
        contract.status if contract.status in ENDINGS else EXPIRED)
    return [DRAFT, IN_APPROVAL, APPROVED, SIGNING, SIGNED, EXPIRING, ending, ARCHIVED]


def _locked(actor, contract_id: int) -> Contract:
    found = db.session.execute(select(Contract).where(Contract.id == contract_id).options(lazyload("*"))
                               .with_for_update(of=Contract)).scalar()
    if found is None or (actor is not None and not can_see("contracts", actor, contract_id)):
        raise NotFound("contracts.no_contract", _("The contract does not exist or you may not see it."))
    return found


def reminder_days(contract_type: ContractType | None) -> list[int]:
    """The type's reminder days, largest first (30,15,7,0 when it has none or they do not read)."""
    text = contract_type.reminder_days if contract_type is not None else ""
    days = sorted({int(part) for part in (text or "").replace("，", ",").split(",")
                   if part.strip().isdigit() and int(part) <= 3650}, reverse=True)
    return days or list(DEFAULT_REMINDERS)


# -- 终止 -----------------------------------------------------------------------------------------------------
def terminate(actor, contract_id: int, reason: str) -> Contract:
    """终止 a contract in force, with the reason; its terms stay as signed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationErrors({"reason": [_("Say why the contract is terminated.")]})
    with unit_of_work(actor):
        contract = _locked(actor, contract_id)
        if contract.status not in (SIGNED, EXPIRING):
            raise WrongState("contracts.not_in_force", _(
                "Only a contract in force can be terminated; %(code)s is not.", code=contract.code))
        contract.status = contract.ended_as = TERMINATED
        contract.terminate_reason = reason[:2000]
    return contract


# -- 续签 -----------------------------------------------------------------------------------------------------
def _shifted(contract: Contract) -> tuple[dt.date | None, dt.date | None, dt.timedelta]:
    """The renewal's term: from the day after the old one ends, as long as the old one."""
    if contract.starts_on is None or contract.ends_on is None:
        return None, None, dt.timedelta(0)
    starts = contract.ends_on + dt.timedelta(days=1)
    try:   # the same day and month a year (or years) on when the old term was whole years
        years = contract.ends_on.year - contract.starts_on.year + (
            1 if (contract.ends_on.month, contract.ends_on.day) >= (contract.starts_on.month, contract.starts_on.day)
            else 0)
        same = contract.starts_on.replace(year=contract.starts_on.year + years) - dt.timedelta(days=1) \
            == contract.ends_on
    except ValueError:
        same = False
    if same:
        ends = contract.ends_on.replace(year=contract.ends_on.year + years) if not (
            contract.ends_on.month == 2 and contract.ends_on.day == 29) else \
            dt.date(contract.ends_on.year + years, 3, 1) - dt.timedelta(days=1)
    else:
        ends = starts + (contract.ends_on - contract.starts_on)
    return starts, ends, starts - contract.starts_on


def renew(actor, contract_id: int) -> Contract:
    """续签: a new draft linked to the contract, with its customer, type, contact, lines and plan, the term moved
    on. One renewal at a time: while one is under way, it is the answer."""
    from app.modules.contracts.lines import copy_content

    with unit_of_work(actor):
        old = _locked(actor, contract_id)
        if old.status not in (SIGNED, EXPIRING, EXPIRED):
            raise WrongState("contracts.not_renewable", _(
                "Only a signed contract can be renewed; %(code)s is not.", code=old.code))
        under_way = db.session.scalar(select(Contract).where(
            Contract.renewed_from_id == old.id, Contract.status.notin_((REJECTED, TERMINATED))).limit(1))
        if under_way is not None:
            raise WrongState("contracts.renewal_exists", _(
                "Contract %(code)s is already being renewed by %(new)s.", code=old.code, new=under_way.code))
        starts, ends, shift = _shifted(old)
        new = service.create_contract(actor, Contract(
            title=old.title, customer_id=old.customer_id, amount=old.amount, standard_terms=old.standard_terms,
            type_id=old.type_id, contact_id=old.contact_id, terms=old.terms, starts_on=starts, ends_on=ends,
            notes=old.notes, owner_id=old.owner_id, department_id=old.department_id, renewed_from_id=old.id))
        copy_content(old, new, shift)
    return new


# -- the daily expiry job -------------------------------------------------------------------------------------
def _recipients(contract: Contract) -> list:
    from app.workflow.org_lines import manager_of

    people = [contract.owner] if contract.owner is not None and contract.owner.active else []
    manager = manager_of(contract.owner) if contract.owner is not None else None
    if manager is not None and manager.active and manager not in people:
        people.append(manager)
    return people


def _reminder_text(contract: Contract, left: int) -> tuple[str, str]:
    if left == 0:
        title = _("Contract %(code)s ends today", code=contract.code)
    else:
        title = _("Contract %(code)s ends in %(days)d days", code=contract.code, days=left)
    body = _("%(title)s with %(customer)s ends on %(date)s. Renew it or let it end.", title=contract.title,
             customer=contract.customer.name if contract.customer is not None else "", date=contract.ends_on.isoformat())
    return title, body


MOVE_BATCH = 5000


def _move(condition, values: dict, old_status: str) -> int:
    """Set `values` on the contracts in `old_status` that meet `condition`: one UPDATE per batch of MOVE_BATCH, with
    their audit rows (by the system), each batch its own transaction. Returns how many moved."""
    from sqlalchemy import insert, update

    from app.core.audit import AuditLog
    from app.core.clock import utcnow

    changes = {"status": [old_status, values["status"]], **{
        name: [None, value] for name, value in values.items() if name != "status"}}
    moved = 0
    while True:
        with unit_of_work(None):
            ids = list(db.session.scalars(select(Contract.id).where(Contract.status == old_status, condition)
                                          .order_by(Contract.id).limit(MOVE_BATCH).with_for_update()))
            if not ids:
                break
            now = utcnow()
            db.session.execute(update(Contract).where(Contract.id.in_(ids), Contract.status == old_status)
                               .values(**values, updated_at=now).execution_options(synchronize_session=False))
            db.session.execute(insert(AuditLog), [
                {"at": now, "actor_id": None, "table_name": Contract.__tablename__, "record_id": str(contract_id),
                 "action": "update", "changes": changes} for contract_id in ids])
        moved += len(ids)
    return moved


def _remind_due(today: dt.date, types: list) -> int:
    """The reminders due today: contracts in force whose end is within their type's largest reminder day, each
    reminded once for the nearest reminder day reached — a batch's keys claimed in one statement and its notices
    written in one (a key claimed by another run meanwhile is left to that run)."""
    from app.core.jobs import claim_many
    from app.core.notify import notify_each

    by_type = {t.id: t for t in types}
    horizon = max([*DEFAULT_REMINDERS] + [max(reminder_days(t)) for t in types])
    recipients: dict[int, list] = {}
    last_id, reminded = 0, 0
    while True:
        ids = list(db.session.scalars(select(Contract.id).where(
            Contract.status.in_((SIGNED, EXPIRING)), Contract.ends_on >= today,
            Contract.ends_on <= today + dt.timedelta(days=horizon), Contract.id > last_id)
            .order_by(Contract.id).limit(BATCH)))
        if not ids:
            break
        last_id = ids[-1]
        with unit_of_work(None) as uow:
            contracts = list(db.session.scalars(select(Contract).where(Contract.id.in_(ids)).order_by(Contract.id)))
            due = {}
            for contract in contracts:
                key = _reminder_key(contract, today, by_type.get(contract.type_id))
                if key:
                    due[key] = contract
            claimed = claim_many(due)
            messages = []
            for key, contract in due.items():
                if key not in claimed:
                    continue
                if contract.owner_id not in recipients:
                    recipients[contract.owner_id] = _recipients(contract)
                title, body = _reminder_text(contract, (contract.ends_on - today).days)
                messages += [(person, title, body, f"/contracts/show/{contract.id}")
                             for person in recipients[contract.owner_id]]
            notify_each(uow, messages)
            reminded += len(claimed)
    return reminded


def _reminder_key(contract: Contract, today: dt.date, contract_type=None) -> str | None:
    left = (contract.ends_on - today).days
    reached = [d for d in reminder_days(contract_type) if left <= d]
    if left < 0 or not reached:
        return None
    return f"contracts.reminder:{contract.id}:{contract.ends_on.isoformat()}:{min(reached)}"


def watch_expiry(today: dt.date | None = None) -> dict:
    """Every contract in force whose end is near or past: moved to 即将到期 or 已到期 (set-based, batch by batch),
    its owner and their manager reminded on its reminder days. The job may run again at any time."""
    from sqlalchemy import and_

    from app.core.clock import company_today

    today = today or company_today()
    moved = sum(_move(Contract.ends_on < today, {"status": EXPIRED, "ended_as": EXPIRED}, old)
                for old in (SIGNED, EXPIRING))
    types = list(db.session.scalars(select(ContractType)))
    for contract_type in types:
        moved += _move(and_(Contract.type_id == contract_type.id, Contract.ends_on >= today,
                            Contract.ends_on <= today + dt.timedelta(days=notice_days(contract_type))),
                       {"status": EXPIRING}, SIGNED)
    moved += _move(and_(Contract.type_id.is_(None), Contract.ends_on >= today,
                        Contract.ends_on <= today + dt.timedelta(days=notice_days(None))), {"status": EXPIRING}, SIGNED)
    return {"moved": moved, "reminded": _remind_due(today, types)}



# -- hooks of the generated screens and API ------------------------------------------------------------------
def renew_action(actor, items):
    from flask import redirect

    made = renew(actor, items[0].id)
    return redirect(f"/contracts/show/{made.id}")


def terminate_action(actor, items):
    from flask import redirect

    return redirect(f"/contracts_terminate/{items[0].id}")


def order_action(actor, items):
    from flask import redirect

    return redirect(f"/orders_from_contract/{items[0].id}")


# -- the contract's PDF, frozen once approved ---------------------------------------------------------------
def freeze_document(contract_id: int) -> str:
    """The contract's PDF as approved: drawn from its default template, kept among its files (附件) with its
    SHA-256 on the contract. Once only: a contract whose PDF is frozen keeps it."""
    from app.core.files.service import attach_generated
    from app.core.printing import service as printing
    from app.core.registry import registry

    with unit_of_work(None):
        contract = db.session.execute(select(Contract).where(Contract.id == contract_id).options(lazyload("*"))
                                      .with_for_update(of=Contract)).scalar()
        if contract is None or contract.pdf_sha256:
            return "nothing to do"
        spec = registry.get("contracts")
        document = printing.document_of(spec, "contract")
        body, _row = printing.template_for(spec, document, None)
        data = printing.render_body(spec, document, contract, body)
        attachment = attach_generated("contracts", contract.id, data, printing.file_name(spec, document, contract))
        contract.pdf_sha256 = attachment.sha256
    return attachment.sha256


def on_approved(actor, contract) -> None:
    """Approval done: the contract's PDF is drawn and frozen by a job, after the approval commits."""
    from app.core.jobs import enqueue_after_commit

    uow = db.session.info.get("uow")
    if uow is not None:   # named, not imported: the job's module calls this one
        enqueue_after_commit(uow, "app.modules.contracts.jobs.freeze_document", contract.id)
