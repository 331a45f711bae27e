"""Customer grades (A/B/C/D...): rules an admin edits, evaluated set-based in SQL by the nightly
job and on demand. Every change is kept as a GradeChange with the figures that decided it.
"""
from __future__ import annotations

import calendar
import datetime as dt
import zlib
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Date, DateTime, Integer, String, and_, case, cast, func, insert, literal, select, text, update

from app.core.clock import utcnow
from app.core.errors import DomainError, ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import Customer, CustomerGrade, GradeChange, GradeRule
from app.modules.customers.values import local_today, money as _money

CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-")
# Customer ids per transaction of a full run: short transactions, so a customer graded at once
# after its figures changed never waits long for a run going through the same ids.
BATCH = 20_000
# On PostgreSQL every grading takes the advisory lock of each span of LOCK_SPAN ids it grades
# (LOCK_KEY * LOCK_SPANS + span number), so two runs at once never both record the same change.
LOCK_KEY = zlib.crc32(b"customers.grading")
LOCK_SPAN = 20_000
LOCK_SPANS = 1 << 20


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

    Set-based: per range of `batch` customer ids one statement computes every grade, keeps the
    changed ones, writes them (UPDATE … FROM, INSERT for customers graded the first time) and
    records them, in a short transaction of its own; running it again changes nothing."""
    today = today or local_today()
    dialect = db.session.get_bind().dialect.name
    rule_list = rules()
    at = utcnow()
    actor_id = getattr(actor, "id", None)
    changed = 0
    for low, high, within in _batches(customer_ids, batch):
        with unit_of_work(actor):
            if dialect == "postgresql":
                # Ascending, as every run takes them: two runs never wait for each other in a circle.
                for span in range(low // LOCK_SPAN, high // LOCK_SPAN + 1):
                    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY * LOCK_SPANS + span})
            changed += _grade(dialect, rule_list, today, within, at, actor_id)
    return changed


def _batches(customer_ids, batch: int):
    """(lowest id, highest id, condition on a customer-id column) of each transaction: aligned
    ranges of `batch` ids over the whole table, or the given ids `batch` at a time."""
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        for i in range(0, len(ids), batch):
            chunk = ids[i:i + batch]
            yield chunk[0], chunk[-1], lambda col, chunk=chunk: col.in_(chunk)
        return
    low, high = db.session.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
    if low is None:
        return
    for start in range(low - low % batch, high + 1, batch):
        yield start, start + batch - 1, lambda col, start=start: col.between(start, start + batch - 1)


def _grade(dialect: str, rule_list, today: dt.date, within, at, actor_id) -> int:
    """Grade the customers `within` selects; returns how many grades changed."""
    current = CustomerGrade.__table__
    changes = GradeChange.__table__
    since = _since(dialect)
    graded = (select(Customer.id.label("id"), current.c.customer_id.isnot(None).label("known"),
                     current.c.grade.label("old_grade"), grade_expression(rule_list, since, today).label("new_grade"),
                     Customer.paid_12m.label("paid_12m"), _months(dialect, since, today).label("months"))
              # The range on both sides, so each walks its own index over the batch only.
              .select_from(Customer.__table__.outerjoin(
                  current, and_(current.c.customer_id == Customer.id, within(current.c.customer_id))))
              .where(within(Customer.id)))
    recorded = ["customer_id", "old_grade", "new_grade", "paid_12m", "months", "at", "actor_id"]
    if dialect == "postgresql":
        # One statement: the changed grades are computed once and written from the same rows.
        found = graded.cte("graded")
        changed = select(found).where(found.c.old_grade.is_distinct_from(found.c.new_grade)).cte("changed")
        kept = update(current).where(current.c.customer_id == changed.c.id, changed.c.known,
                                     within(current.c.customer_id)).values(grade=changed.c.new_grade).cte("kept")
        added = insert(current).from_select(["customer_id", "grade"], select(changed.c.id, changed.c.new_grade)
                                            .where(~changed.c.known)).cte("added")
        statement = insert(changes).from_select(recorded, select(
            changed.c.id, changed.c.old_grade, changed.c.new_grade, changed.c.paid_12m, changed.c.months,
            literal(at, DateTime), literal(actor_id, Integer))).add_cte(kept, added)
        return db.session.execute(statement.execution_options(preserve_rowcount=True)).rowcount or 0
    # SQLite (one writer at a time): record the changes, then apply the grades just recorded.
    mark = db.session.scalar(select(func.coalesce(func.max(changes.c.id), 0)))
    picked = graded.subquery()
    count = db.session.execute(insert(changes).from_select(recorded, select(
        picked.c.id, picked.c.old_grade, picked.c.new_grade, picked.c.paid_12m, picked.c.months,
        literal(at, DateTime), literal(actor_id, Integer)).where(picked.c.old_grade.is_distinct_from(picked.c.new_grade)))
        .execution_options(preserve_rowcount=True)).rowcount or 0
    if count:
        ours = and_(changes.c.id > mark, within(changes.c.customer_id))
        db.session.execute(update(current).where(current.c.customer_id == changes.c.customer_id, ours)
                           .values(grade=changes.c.new_grade))
        db.session.execute(insert(current).from_select(["customer_id", "grade"], select(
            changes.c.customer_id, changes.c.new_grade).where(
            ours, ~select(current.c.customer_id).where(current.c.customer_id == changes.c.customer_id).exists())))
    return count


def regrade_selected(actor, customers: list[Customer]) -> str:
    """List action: grade the selected customers now."""
    changed = regrade(actor, [c.id for c in customers])
    return _("%(count)d customer(s) graded, %(changed)d grade(s) changed.", count=len(customers), changed=changed)


def grade_after_change(actor, customer_id: int) -> int:
    """Grade again one customer whose figures (paid amount, start of cooperation) just changed,
    inside the caller's transaction, so the new grade is there as soon as the change is. A
    customer not graded yet gets its first grade at the next grading run. Returns 1 when its
    grade changed (the change is recorded like a run's), else 0."""
    db.session.flush()
    if db.session.get(CustomerGrade, customer_id) is None:
        return 0
    return regrade(actor, [customer_id])


def record_amounts(actor, customer_id: int, *, paid_12m=None, total_ordered=None, total_paid=None,
                   total_outstanding=None) -> Customer:
    """Store the amounts the order and receivables modules compute for a customer. What it paid
    in the last 12 months decides its grade: when it changes, a customer graded before is graded
    again at once, in the same transaction (one not graded yet gets its first grade at the next
    grading run). Amounts are rounded half up to the fen; refuses negative ones, nothing
    written."""
    errors: dict[str, list[str]] = {}
    given = {"paid_12m": paid_12m, "total_ordered": total_ordered, "total_paid": total_paid,
             "total_outstanding": total_outstanding}
    amounts = {name: _money(value, name, errors) for name, value in given.items() if value is not None}
    if errors:
        raise ValidationErrors(errors, code="customers.invalid_amounts")
    with unit_of_work(actor):
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            raise DomainError("customers.not_found", _("Customer not found."))
        before = customer.paid_12m
        for name, amount in amounts.items():
            setattr(customer, name, amount)
        if "paid_12m" in amounts and amounts["paid_12m"] != before:
            grade_after_change(actor, customer_id)
    return customer


def grade_history(customer_id: int, limit: int = 100) -> list[GradeChange]:
    """The customer's grade changes, oldest first."""
    rows = db.session.scalars(select(GradeChange).where(GradeChange.customer_id == customer_id)
                              .order_by(GradeChange.at.desc(), GradeChange.id.desc()).limit(limit))
    return list(reversed(list(rows)))
