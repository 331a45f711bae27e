"""Customer grades (A/B/C/D...): rules an admin edits, evaluated set-based in SQL by the nightly
job and on demand. Every change is kept as a GradeChange with the figures that decided it.
"""
from __future__ import annotations

import calendar
import datetime as dt
import zlib
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Date, Integer, String, and_, case, cast, func, insert, literal, select, text, update

from app.core.clock import utcnow
from app.core.errors import ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import Customer, CustomerGrade, GradeChange, GradeRule
from app.modules.customers.service import _money, local_today

CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-")
BATCH = 100_000
# Runs of the grading take this advisory lock per batch on PostgreSQL, so two runs at once
# never both record the same change.
LOCK_KEY = zlib.crc32(b"customers.grading")


# -- rules -------------------------------------------------------------------------------------
def rules() -> list[GradeRule]:
    """The rules in the order they are tried."""
    return list(db.session.scalars(select(GradeRule).order_by(GradeRule.sort_order, GradeRule.id)))


def grade_names() -> dict[str, str]:
    return {r.code: r.name for r in db.session.scalars(select(GradeRule))}


def _validate_rule(rule: GradeRule) -> None:
    errors: dict[str, list[str]] = {}
    rule.code = (rule.code or "").strip().upper()
    rule.name = (rule.name or "").strip()
    if not rule.code:
        errors.setdefault("code", []).append(_("Please enter the grade code, e.g. A."))
    elif len(rule.code) > 8 or not set(rule.code) <= CODE_CHARS:
        errors.setdefault("code", []).append(_("The grade code is up to 8 letters or digits, e.g. A or VIP."))
    else:
        stmt = select(GradeRule.id).where(GradeRule.code == rule.code)
        if rule.id:
            stmt = stmt.where(GradeRule.id != rule.id)
        if db.session.scalar(stmt.limit(1)):
            errors.setdefault("code", []).append(_("Grade %(code)s already exists.", code=rule.code))
    if not rule.name:
        errors.setdefault("name", []).append(_("Please enter the grade name."))
    rule.min_paid_12m = _money(rule.min_paid_12m, "min_paid_12m", errors)
    if rule.min_months is None or rule.min_months < 0:
        errors.setdefault("min_months", []).append(_("Please enter 0 or more months."))
    if rule.sort_order is None:
        rule.sort_order = 0
    if errors:
        raise ValidationErrors(errors, code="grade_rules.invalid")


def create_rule(actor, rule: GradeRule) -> GradeRule:
    """Add a grade rule. Grades change at the next grading run."""
    with unit_of_work(actor):
        _validate_rule(rule)
        db.session.add(rule)
    return rule


def update_rule(actor, rule: GradeRule) -> GradeRule:
    """Save a grade rule. Grades change at the next grading run."""
    with unit_of_work(actor):
        _validate_rule(rule)
    return rule


def delete_rule(actor, rule: GradeRule) -> None:
    """Delete a grade rule; its customers get another grade at the next grading run."""
    with unit_of_work(actor):
        db.session.delete(rule)


class grade_rules:
    """The hooks the generated screens and API call for grade rules."""
    create, update, delete = staticmethod(create_rule), staticmethod(update_rule), staticmethod(delete_rule)


# -- evaluation --------------------------------------------------------------------------------
def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day when it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _since(dialect: str):
    """Start of cooperation: the recorded date, else the day the customer was created."""
    created = cast(Customer.created_at, Date) if dialect == "postgresql" else func.date(Customer.created_at)
    return func.coalesce(Customer.cooperating_since, created, type_=Date)


def _months(dialect: str, since, today: dt.date):
    """Whole months from `since` to `today`, in SQL."""
    if dialect == "postgresql":
        age = func.age(literal(today, Date), since)
        return cast(func.extract("year", age) * 12 + func.extract("month", age), Integer)
    day = literal(today.isoformat())

    def part(fmt, value):
        return cast(func.strftime(fmt, value), Integer)

    return ((part("%Y", day) - part("%Y", since)) * 12 + (part("%m", day) - part("%m", since))
            - case((part("%d", day) < part("%d", since), 1), else_=0))


def grade_expression(rule_list: list[GradeRule], since, today: dt.date):
    """CASE giving the first rule's code whose thresholds the customer meets (NULL when none)."""
    whens = [(and_(Customer.paid_12m >= Decimal(rule.min_paid_12m), since <= months_before(today, rule.min_months)),
              rule.code) for rule in rule_list]
    return case(*whens, else_=None) if whens else literal(None, String)


def regrade(actor=None, customer_ids: list[int] | None = None, today: dt.date | None = None,
            batch: int = BATCH) -> int:
    """Give every customer (or those of `customer_ids`) the grade the current rules say, and
    record each change with the paid amount and months of cooperation that decided it.
    Returns the number of customers whose grade changed.

    Set-based: per batch of ids one INSERT … SELECT records the changes, then the grades
    recorded are applied (UPDATE … FROM, INSERT for customers graded the first time), in one
    transaction; running it again changes nothing."""
    today = today or local_today()
    dialect = db.session.get_bind().dialect.name
    rule_list = rules()
    since = _since(dialect)
    grade = grade_expression(rule_list, since, today)
    months = _months(dialect, since, today)
    at = utcnow()
    actor_id = getattr(actor, "id", None)
    # Each batch is a condition on a customer-id column, applied to customers and to the
    # change rows alike, so both statements walk an index.
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        batches = [lambda col, chunk=ids[i:i + batch]: col.in_(chunk) for i in range(0, len(ids), batch)]
    else:
        low, high = db.session.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
        batches = [] if low is None else [
            lambda col, start=start: col.between(start, start + batch - 1) for start in range(low, high + 1, batch)]
    current = CustomerGrade.__table__
    changes = GradeChange.__table__
    changed = 0
    for within in batches:
        with unit_of_work(actor):
            if dialect == "postgresql":
                db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            picked = (select(Customer.id, current.c.grade, grade, Customer.paid_12m, months, literal(at),
                             literal(actor_id, Integer))
                      .select_from(Customer.__table__.outerjoin(current, current.c.customer_id == Customer.id))
                      .where(within(Customer.id), current.c.grade.is_distinct_from(grade)))
            result = db.session.execute(
                insert(changes).from_select(
                    ["customer_id", "old_grade", "new_grade", "paid_12m", "months", "at", "actor_id"], picked)
                .execution_options(preserve_rowcount=True))
            count = result.rowcount or 0
            if count:
                # Apply exactly the grades just recorded: change the rows there are, add the others.
                ours = and_(changes.c.at == at, within(changes.c.customer_id))
                db.session.execute(update(current).where(current.c.customer_id == changes.c.customer_id, ours)
                                   .values(grade=changes.c.new_grade))
                db.session.execute(insert(current).from_select(
                    ["customer_id", "grade"],
                    select(changes.c.customer_id, changes.c.new_grade).where(
                        ours, ~select(current.c.customer_id).where(current.c.customer_id == changes.c.customer_id)
                        .exists())))
            changed += count
    return changed


def regrade_selected(actor, customers: list[Customer]) -> str:
    """List action: grade the selected customers now."""
    changed = regrade(actor, [c.id for c in customers])
    return _("%(count)d customer(s) graded, %(changed)d grade(s) changed.", count=len(customers), changed=changed)


def record_amounts(actor, customer_id: int, *, paid_12m=None, total_ordered=None, total_paid=None,
                   total_outstanding=None) -> Customer:
    """Store the amounts the order and receivables modules compute for a customer (what it
    paid in the last 12 months decides its grade at the next grading run). Amounts are
    rounded half up to the fen; refuses negative ones, nothing written."""
    errors: dict[str, list[str]] = {}
    given = {"paid_12m": paid_12m, "total_ordered": total_ordered, "total_paid": total_paid,
             "total_outstanding": total_outstanding}
    amounts = {name: _money(value, name, errors) for name, value in given.items() if value is not None}
    if errors:
        raise ValidationErrors(errors, code="customers.invalid_amounts")
    with unit_of_work(actor):
        customer = db.session.get(Customer, customer_id)
        for name, amount in amounts.items():
            setattr(customer, name, amount)
    return customer


def grade_history(customer_id: int, limit: int = 100) -> list[GradeChange]:
    """The customer's grade changes, oldest first."""
    rows = db.session.scalars(select(GradeChange).where(GradeChange.customer_id == customer_id)
                              .order_by(GradeChange.at.desc(), GradeChange.id.desc()).limit(limit))
    return list(reversed(list(rows)))
