"""催收提醒: every morning the collection reminder rules an admin set (e.g. 3 days before the due date, on the day,
7 and 30 days after) are applied to the open invoices. For each rule reached, the invoices' owners are notified
and — when the rule says so — the customer's contact is e-mailed what they owe. Each reminder is sent once per
invoice and rule: it is claimed in the same transaction as its notices and mails, so a second run, or a worker
that died half way, never sends it again. A rule reached on a day the job did not run is still sent within
CATCH_UP_DAYS.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.core.clock import company_today
from app.core.errors import ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.collections.models import DunningRule
from app.modules.customers.api import Contact, Customer
from app.modules.invoices.api import ISSUED, Invoice

CATCH_UP_DAYS = 7
BATCH = 500
DEFAULT_RULES = [("到期前3天提醒", -3, True, False), ("到期当日提醒", 0, True, True),
                 ("逾期7天催收", 7, True, True), ("逾期30天催收", 30, True, True)]


def contact_of(customer_id: int) -> Contact | None:
    """Whom the customer's reminders go to: their primary contact with an e-mail address, else the first one."""
    return db.session.scalar(select(Contact).where(Contact.customer_id == customer_id, Contact.email.isnot(None),
                                                   Contact.email != "")
                             .order_by(Contact.is_primary.desc(), Contact.id).limit(1))


def _when(invoice: Invoice, today: dt.date) -> str:
    days = (today - invoice.due_date).days
    if days < 0:
        return _("due in %(days)d days", days=-days)
    if days == 0:
        return _("due today")
    return _("overdue by %(days)d days", days=days)


def _lines(invoices, today) -> list[str]:
    return [_("%(code)s issued %(issued)s, due %(due)s (%(when)s): ¥%(left)s still to pay",
              code=i.code, issued=i.issue_date.isoformat(), due=i.due_date.isoformat(),
              when=_when(i, today), left=f"{i.total - i.paid:,.2f}") for i in invoices]


def _remind_customer(uow, rule: DunningRule, customer: Customer, invoices: list[Invoice], today: dt.date) -> int:
    from app.core.jobs import claim_once
    from app.core.notify import mail_html, notify_each, send_mail
    from app.core.org import AppUser

    claimed = [i for i in invoices
               if claim_once(f"collections.reminder:{rule.id}:{i.id}:{i.due_date.isoformat()}")]
    if not claimed:
        return 0
    owed = sum((i.total - i.paid for i in claimed), Decimal(0))
    if rule.notify_owner:
        by_owner = defaultdict(list)
        for invoice in claimed:
            by_owner[invoice.owner_id].append(invoice)
        messages = []
        for owner_id, theirs in by_owner.items():
            user = db.session.get(AppUser, owner_id)
            if user is None or not user.active:
                continue
            title = _("%(rule)s: %(customer)s owes ¥%(amount)s", rule=rule.name, customer=customer.name,
                      amount=f"{sum((i.total - i.paid for i in theirs), Decimal(0)):,.2f}")
            messages.append((user, title, "\n".join(_lines(theirs, today)), f"/collections_statement/{customer.id}"))
        notify_each(uow, messages)
    if rule.mail_contact:
        contact = contact_of(customer.id)
        if contact is not None:
            subject = _("Payment reminder from %(company)s: ¥%(amount)s", company=_company(), amount=f"{owed:,.2f}")
            body = "\n".join([_("Dear %(name)s,", name=contact.name), "",
                              _("According to our records the following invoices of %(customer)s are open:",
                                customer=customer.name), "", *_lines(claimed, today), "",
                              _("Total still to pay: ¥%(amount)s", amount=f"{owed:,.2f}"),
                              _("If you have already paid, please ignore this reminder. Thank you.")])
            send_mail(uow, contact.email, subject, body, html=mail_html(subject, body), customer_id=customer.id,
                      contact_id=contact.id)
    return len(claimed)


def _company() -> str:
    from app.core.branding import company_name

    return company_name()


def send_reminders(today: dt.date | None = None) -> dict:
    """Apply every active rule to the open invoices whose reminder day is today or in the last CATCH_UP_DAYS.
    Returns how many reminders were sent (invoice × rule)."""
    today = today or company_today()
    sent = 0
    for rule in list(db.session.scalars(select(DunningRule).where(DunningRule.active.is_(True))
                                        .order_by(DunningRule.days, DunningRule.id))):
        latest_due = today - dt.timedelta(days=rule.days)
        earliest_due = latest_due - dt.timedelta(days=CATCH_UP_DAYS)
        last = (0, 0)
        while True:
            batch = list(db.session.execute(select(Invoice.customer_id, Invoice.id).where(
                Invoice.status == ISSUED, ~Invoice.red, Invoice.paid < Invoice.total,
                Invoice.due_date <= latest_due, Invoice.due_date > earliest_due,
                (Invoice.customer_id, Invoice.id) > last if db.session.get_bind().dialect.name == "postgresql"
                else ((Invoice.customer_id > last[0]) | ((Invoice.customer_id == last[0]) & (Invoice.id > last[1]))))
                .order_by(Invoice.customer_id, Invoice.id).limit(BATCH)))
            if not batch:
                break
            last = tuple(batch[-1])
            ids = [row.id for row in batch]
            with unit_of_work(None) as uow:
                rule = db.session.get(DunningRule, rule.id)
                invoices = list(db.session.scalars(select(Invoice).where(Invoice.id.in_(ids))
                                                   .order_by(Invoice.customer_id, Invoice.due_date, Invoice.id)
                                                   .options(lazyload("*"))))
                by_customer = defaultdict(list)
                for invoice in invoices:
                    by_customer[invoice.customer_id].append(invoice)
                for customer_id, theirs in by_customer.items():
                    sent += _remind_customer(uow, rule, db.session.get(Customer, customer_id), theirs, today)
    return {"sent": sent}


def install_defaults() -> int:
    """The shipped rules, where no rule exists yet. Returns how many were added."""
    if db.session.scalar(select(DunningRule.id).limit(1)) is not None:
        return 0
    for name, days, owner, contact in DEFAULT_RULES:
        db.session.add(DunningRule(name=name, days=days, notify_owner=owner, mail_contact=contact, active=True))
    db.session.flush()
    return len(DEFAULT_RULES)


def _rule_checked(item: DunningRule) -> None:
    errors: dict[str, list[str]] = {}
    item.name = (item.name or "").strip()[:60]
    if not item.name:
        errors["name"] = [_("Name the reminder.")]
    try:
        item.days = int(item.days if item.days not in (None, "") else 0)
        if not -365 <= item.days <= 3650:
            raise ValueError
    except (TypeError, ValueError):
        errors["days"] = [_("Days relative to the due date: from -365 (before it) to 3650.")]
    if not errors and db.session.scalar(select(DunningRule.id).where(DunningRule.name == item.name,
                                                                     DunningRule.id != (item.id or 0))):
        errors["name"] = [_("A reminder of this name exists.")]
    if errors:
        raise ValidationErrors(errors)


def save_rule(actor, item: DunningRule) -> DunningRule:
    _rule_checked(item)
    with unit_of_work(actor):
        db.session.add(item)
    return item


def delete_rule(actor, item: DunningRule) -> None:
    with unit_of_work(actor):
        db.session.delete(item)


class rules:
    create = staticmethod(save_rule)
    update = staticmethod(save_rule)
    delete = staticmethod(delete_rule)
