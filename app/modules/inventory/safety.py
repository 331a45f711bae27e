"""Safety stock (安全预警): warning lines and reorder quantities per product × warehouse, computed from
shipments or set by hand, and the check that tells the warehouse and purchasing roles once per breach.

The check runs in the transaction of every stock move (a session hook: the inventory service writes
its moves with INSERT statements, which the hook notes, and checks the places they touched just
before the commit) and nightly over every line (planning_jobs.check_safety_stock). A line's
`alerted_at` is its state: a breach sets it with a compare-and-set UPDATE, so of two moves that cross
the line at once only one notifies; stock back at or above the line clears it, and the next breach
notifies again.

"Available" is on hand − reserved, summed over the warehouse's bins. A breach is available < the
warning line; a line of 0 never alerts.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
from decimal import ROUND_CEILING, Decimal

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext as _
from sqlalchemy import bindparam, event, func, select, tuple_, update
from sqlalchemy.orm import Session

from app.core.clock import utcnow
from app.core.errors import ValidationErrors
from app.extensions import db
from app.modules.inventory.models import PLACES_MOVED, SHIPMENT, StockLevel, StockMove, StockReservation
from app.modules.inventory.planning_models import COMPUTED, MANUAL, SafetyStock

log = logging.getLogger(__name__)

ALERT_ROLES = ("Warehouse", "Purchasing")
UNIT = Decimal("1")
BATCH = 2000

_TOUCHED = PLACES_MOVED                         # session.info: {(product_id, warehouse_id)} moved (by the service)
_LEVELS = "inventory_planning.levels"           # session.info: {stock_level id} whose reservations changed
_AFTER = "inventory_planning.after_commit"      # session.info: callbacks for after the commit
_QUIET = "inventory_planning.quiet"             # session.info: no check at commit (the nightly job checks after)


# -- computing lines -------------------------------------------------------------------------------
def _day_window(days: int, today: dt.date | None):
    end_day = today or utcnow().date()
    end = dt.datetime.combine(end_day, dt.time.min)          # shipments of whole past days
    return end - dt.timedelta(days=days), end


def daily_shipments(pairs, days: int, today: dt.date | None = None) -> dict:
    """{(product_id, warehouse_id): {day: shipped quantity}} of the `days` whole days before `today`."""
    start, end = _day_window(days, today)
    found: dict = {}
    pairs = list(pairs)
    for i in range(0, len(pairs), 500):
        chunk = pairs[i:i + 500]
        day = func.date(StockMove.created_at)
        rows = db.session.execute(
            select(StockMove.product_id, StockMove.warehouse_id, day, -func.sum(StockMove.quantity))
            .where(StockMove.kind == SHIPMENT, StockMove.created_at >= start, StockMove.created_at < end,
                   tuple_(StockMove.product_id, StockMove.warehouse_id).in_(chunk))
            .group_by(StockMove.product_id, StockMove.warehouse_id, day)).all()
        for product_id, warehouse_id, on, qty in rows:
            found.setdefault((product_id, warehouse_id), {})[str(on)[:10]] = Decimal(qty)
    return found


def line_from_history(per_day: dict, days: int, lead_time_days: int, safety_factor) -> tuple[Decimal, Decimal]:
    """(warning line, reorder quantity) from the shipped quantity per day of `days` days (days without
    shipments count as 0):

        warning line = mean daily sales × lead time + safety factor × σ(daily sales) × √lead time
        reorder quantity = mean daily sales × lead time (one more lead time's demand)

    σ × √lead time is the deviation of the demand over the lead time. Both are rounded up to whole units."""
    n = Decimal(days)
    total = sum(per_day.values(), Decimal(0))
    mean = total / n
    squares = sum(((q - mean) ** 2 for q in per_day.values()), Decimal(0)) + (n - len(per_day)) * mean ** 2
    deviation = (squares / n).sqrt()
    lead = Decimal(lead_time_days)
    line = mean * lead + Decimal(safety_factor) * deviation * lead.sqrt()
    return line.quantize(UNIT, ROUND_CEILING), (mean * lead).quantize(UNIT, ROUND_CEILING)


def compute_lines(actor, items, today: dt.date | None = None, commit: bool = True) -> int:
    """The 计算 action: each line's warning line and reorder quantity computed from its shipments of
    the last history_days days; the line becomes "computed" (the nightly job keeps it current).
    Returns how many lines were computed."""
    items = list(items)
    by_days: dict = {}
    for item in items:
        by_days.setdefault(item.history_days or 90, []).append(item)
    now = utcnow()
    for days, group in by_days.items():
        history = daily_shipments({(i.product_id, i.warehouse_id) for i in group}, days, today)
        for item in group:
            item.warning_line, item.reorder_qty = line_from_history(
                history.get((item.product_id, item.warehouse_id), {}), days, item.lead_time_days or 0,
                item.safety_factor if item.safety_factor is not None else Decimal("1.65"))
            item.method, item.computed_at = COMPUTED, now
    if commit:
        db.session.commit()   # the commit's check sends what the new lines breach
    return len(items)


def compute(actor, items) -> None:
    """The list's and detail page's 计算 action."""
    compute_lines(actor, items if isinstance(items, list) else [items])


# -- the check -------------------------------------------------------------------------------------
def available_at(pairs, session=None) -> dict:
    """{(product_id, warehouse_id): on hand − reserved over the warehouse's bins} (0 where nothing is held)."""
    session = session or db.session
    pairs = list(pairs)
    found = {pair: Decimal(0) for pair in pairs}
    for i in range(0, len(pairs), 500):
        rows = session.execute(
            select(StockLevel.product_id, StockLevel.warehouse_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
            .where(tuple_(StockLevel.product_id, StockLevel.warehouse_id).in_(pairs[i:i + 500]))
            .group_by(StockLevel.product_id, StockLevel.warehouse_id)).all()
        for product_id, warehouse_id, available in rows:
            found[(product_id, warehouse_id)] = Decimal(available or 0)
    return found


def _alert_users(session):
    from flask_appbuilder.security.sqla.models import Role

    from app.core.org import User

    return list(session.scalars(select(User).where(User.active.is_(True), User.roles.any(Role.name.in_(ALERT_ROLES)))
                                .order_by(User.id)))


def _fmt(value) -> str:
    return format(Decimal(value).normalize(), "f")


def apply(rows, available: dict, session=None, now=None, uow=None) -> list:
    """Moves each line's alert state to what `available` says and notifies the lines that have just
    fallen below. `rows` are (id, product_id, warehouse_id, warning_line, alerted_at). Returns the
    ids of the lines that alerted now."""
    session = session or db.session
    now = now or utcnow()
    breached, recovered = [], []
    for line_id, product_id, warehouse_id, line, alerted_at in rows:
        below = available.get((product_id, warehouse_id), Decimal(0)) < (line or 0)
        if below and alerted_at is None:
            breached.append(line_id)
        elif not below and alerted_at is not None:
            recovered.append(line_id)
    if recovered:
        session.execute(update(SafetyStock).where(SafetyStock.id.in_(recovered), SafetyStock.alerted_at.isnot(None))
                        .values(alerted_at=None).execution_options(synchronize_session=False))
    alerted = []
    for line_id in breached:
        # Compare-and-set: of two transactions breaching the same line at once, one alerts.
        done = session.execute(update(SafetyStock).where(SafetyStock.id == line_id, SafetyStock.alerted_at.is_(None))
                               .values(alerted_at=now).execution_options(synchronize_session=False)).rowcount
        if done == 1:
            alerted.append(line_id)
    if alerted:
        _notify(session, alerted, available, uow)
    return alerted


def _notify(session, line_ids, available, uow) -> None:
    from app.core.notify import notify_each

    users = _alert_users(session)
    if not users:
        return
    lines = session.scalars(select(SafetyStock).where(SafetyStock.id.in_(line_ids)).order_by(SafetyStock.id)).all()
    messages = []
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        for line in lines:
            title = _("Safety stock alert: %(product)s in %(warehouse)s", product=str(line.product),
                      warehouse=str(line.warehouse))
            body = _("Available %(available)s is below the warning line %(line)s. Reorder quantity: %(reorder)s.",
                     available=_fmt(available.get((line.product_id, line.warehouse_id), 0)),
                     line=_fmt(line.warning_line), reorder=_fmt(line.reorder_qty))
            messages += [(user, title, body, f"/safety_stock/show/{line.id}") for user in users]
    notify_each(uow or _Deferred(session), messages)


class _Deferred:
    """A unit of work for side effects of a commit in progress (mail jobs): they run after it."""

    def __init__(self, session):
        self.session = session

    def after_commit(self, fn) -> None:
        self.session.info.setdefault(_AFTER, []).append(fn)

    def before_commit(self, fn) -> None:
        fn()


def _available_sum():
    """On hand − reserved over the warehouse's bins of a safety line's place, correlated to the line."""
    return (select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.reserved), 0))
            .where(StockLevel.product_id == SafetyStock.product_id,
                   StockLevel.warehouse_id == SafetyStock.warehouse_id).correlate(SafetyStock).scalar_subquery())


@functools.cache
def _lines_of_one():
    return select(SafetyStock.id, SafetyStock.product_id, SafetyStock.warehouse_id, SafetyStock.warning_line,
                  SafetyStock.alerted_at, _available_sum()).where(
        SafetyStock.product_id == bindparam("product_id"), SafetyStock.warehouse_id == bindparam("warehouse_id"))


def lines_at(pairs, session=None) -> list:
    """The safety lines of these (product_id, warehouse_id) places with what is available there, in one
    statement per 500 places: (id, product_id, warehouse_id, warning_line, alerted_at, available)."""
    session = session or db.session
    pairs = list(pairs)
    if len(pairs) == 1:   # a single move's place: the statement built once
        return session.execute(_lines_of_one(), {"product_id": pairs[0][0], "warehouse_id": pairs[0][1]}).all()
    rows = []
    for i in range(0, len(pairs), 500):
        rows += session.execute(
            select(SafetyStock.id, SafetyStock.product_id, SafetyStock.warehouse_id, SafetyStock.warning_line,
                   SafetyStock.alerted_at, _available_sum())
            .where(tuple_(SafetyStock.product_id, SafetyStock.warehouse_id).in_(pairs[i:i + 500]))).all()
    return rows


def _changes(rows) -> bool:
    """Whether any of these lines (with their available quantity) changes its alert state."""
    return any((Decimal(r[5]) < (r[3] or 0)) != (r[4] is not None) for r in rows)


def check_places(pairs, session=None, uow=None) -> list:
    """Check the lines of these (product_id, warehouse_id) places in the current transaction."""
    session = session or db.session
    rows = lines_at(pairs, session)
    if not rows:
        return []
    return apply([r[:5] for r in rows], {(r[1], r[2]): Decimal(r[5]) for r in rows}, session, uow=uow)


def check_all(batch: int = BATCH) -> dict:
    """Every line checked (the nightly job), a batch of lines per transaction, read with their available
    quantity in one statement. Returns {"lines": checked, "alerted": newly breached, "below": breached now}."""
    checked = alerted = below = 0
    last_id = 0
    available_sum = _available_sum()
    while True:
        rows = db.session.execute(
            select(SafetyStock.id, SafetyStock.product_id, SafetyStock.warehouse_id, SafetyStock.warning_line,
                   SafetyStock.alerted_at, available_sum)
            .where(SafetyStock.id > last_id).order_by(SafetyStock.id).limit(batch)).all()
        if not rows:
            break
        last_id = rows[-1][0]
        available = {(r[1], r[2]): Decimal(r[5]) for r in rows}
        checked += len(rows)
        below += sum(1 for r in rows if available[(r[1], r[2])] < (r[3] or 0))
        alerted += len(apply([r[:5] for r in rows], available))
        db.session.commit()
    return {"lines": checked, "alerted": alerted, "below": below}


def recompute_all(today: dt.date | None = None, batch: int = 500) -> int:
    """Computed lines recomputed from their shipments (nightly, before the check). Returns how many."""
    done, last_id = 0, 0
    db.session.info[_QUIET] = True   # the nightly check that follows reads every line
    try:
        while True:
            items = db.session.scalars(select(SafetyStock).where(SafetyStock.method == COMPUTED,
                                                                 SafetyStock.id > last_id)
                                       .order_by(SafetyStock.id).limit(batch)).all()
            if not items:
                break
            last_id = items[-1].id
            done += compute_lines(None, items, today, commit=False)
            db.session.commit()
            db.session.expunge_all()
    finally:
        db.session.info.pop(_QUIET, None)
        db.session.info.pop(_TOUCHED, None)
    return done


# -- the hook in every stock move's transaction -----------------------------------------------------
def _session_places(session) -> set:
    return session.info.setdefault(_TOUCHED, set())


_WATCHED = (StockMove, StockReservation, SafetyStock)


@event.listens_for(Session, "after_flush")
def _note_flushed(session, _flush_context):
    """Moves added as objects, and reservations made, changed or released, touch places too."""
    if session.info.get(_QUIET):
        return
    for obj in session.new:
        if isinstance(obj, StockMove):
            _session_places(session).add((obj.product_id, obj.warehouse_id))
        elif isinstance(obj, SafetyStock):
            _session_places(session).add((obj.product_id, obj.warehouse_id))
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, StockReservation):
            session.info.setdefault(_LEVELS, set()).add(obj.level_id)
    for obj in session.dirty:
        if isinstance(obj, SafetyStock):
            _session_places(session).add((obj.product_id, obj.warehouse_id))


@event.listens_for(Session, "before_commit")
def _check_before_commit(session):
    if session.info.get(_QUIET):
        session.info.pop(_TOUCHED, None), session.info.pop(_LEVELS, None)
        return
    if not session.info.get(_TOUCHED) and not session.info.get(_LEVELS) and not any(
            isinstance(obj, _WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)):
        return
    if not has_app_context():
        session.info.pop(_TOUCHED, None), session.info.pop(_LEVELS, None)
        return
    session.flush()
    places = session.info.pop(_TOUCHED, set())
    levels = session.info.pop(_LEVELS, set())
    try:
        if levels:
            places |= set(session.execute(select(StockLevel.product_id, StockLevel.warehouse_id)
                                          .where(StockLevel.id.in_(levels))).all())
        rows = lines_at(places, session)
        if _changes(rows):   # written in a savepoint: the move commits even if its alert cannot be written
            with session.begin_nested():
                apply([r[:5] for r in rows], {(r[1], r[2]): Decimal(r[5]) for r in rows}, session,
                      uow=session.info.get("uow"))
    except Exception:   # an alert that cannot be written never stops the stock move
        log.exception("safety stock check failed for %s", sorted(places))
    session.info.pop(_TOUCHED, None), session.info.pop(_LEVELS, None)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    for fn in session.info.pop(_AFTER, []):
        try:
            fn()
        except Exception:
            log.exception("after-commit step of a safety stock alert failed")


@event.listens_for(Session, "after_rollback")
def _forget(session):
    for key in (_TOUCHED, _LEVELS, _AFTER):
        session.info.pop(key, None)


# -- the hooks the generated screens and API call -------------------------------------------------
def _check_line(item: SafetyStock) -> None:
    errors: dict[str, list[str]] = {}
    if item.product_id is None and item.product is None:
        errors["product"] = [_("Choose a product.")]
    if item.warehouse_id is None and item.warehouse is None:
        errors["warehouse"] = [_("Choose a warehouse.")]
    for column in ("warning_line", "reorder_qty"):
        value = getattr(item, column)
        if value is None:
            setattr(item, column, Decimal(0))
        elif Decimal(value) < 0:
            errors[column] = [_("Enter zero or more.")]
    if item.lead_time_days is None or not 0 <= int(item.lead_time_days) <= 365:
        errors["lead_time_days"] = [_("Enter a lead time of 0 to 365 days.")]
    if item.history_days is None or not 7 <= int(item.history_days) <= 730:
        errors["history_days"] = [_("Enter 7 to 730 days of history.")]
    if item.safety_factor is None or not 0 <= Decimal(item.safety_factor) <= 10:
        errors["safety_factor"] = [_("Enter a safety factor of 0 to 10.")]
    if not errors:
        product_id = item.product_id or item.product.id
        warehouse_id = item.warehouse_id or item.warehouse.id
        taken = db.session.scalar(select(SafetyStock.id).where(
            SafetyStock.product_id == product_id, SafetyStock.warehouse_id == warehouse_id,
            SafetyStock.id != (item.id or 0)))
        if taken:
            errors["warehouse"] = [_("This product already has a safety stock line in this warehouse.")]
    if errors:
        raise ValidationErrors(errors)
    item.method = item.method or MANUAL


def _linked(item):
    if item.product_id is None and item.product is not None:
        item.product_id = item.product.id
    if item.warehouse_id is None and item.warehouse is not None:
        item.warehouse_id = item.warehouse.id
    return item


def _saved(actor, item):
    with db.session.no_autoflush:
        try:
            _check_line(_linked(item))
        except ValidationErrors:
            db.session.rollback()
            raise
    db.session.add(item)
    db.session.commit()
    return item


def set_line(actor, product_id: int, warehouse_id: int, warning_line, reorder_qty=0, **settings) -> SafetyStock:
    """Set a line by hand (creates it or changes it); the commit checks it at once."""
    item = db.session.scalar(select(SafetyStock).where(SafetyStock.product_id == product_id,
                                                       SafetyStock.warehouse_id == warehouse_id))
    if item is None:
        item = SafetyStock(product_id=product_id, warehouse_id=warehouse_id, history_days=90, lead_time_days=7,
                           safety_factor=Decimal("1.65"))
    item.warning_line, item.reorder_qty, item.method = Decimal(str(warning_line)), Decimal(str(reorder_qty)), MANUAL
    for key, value in settings.items():
        setattr(item, key, value)
    return _saved(actor, item)


class safety_stocks:
    """The hooks the generated screens and API call for safety stock lines."""
    create = staticmethod(_saved)
    update = staticmethod(_saved)

    @staticmethod
    def delete(actor, item) -> None:
        db.session.delete(item)
        db.session.commit()



def load_demo_lines(actor, limit: int = 60) -> str:
    """Demo safety stock for `run.py demo` (called after the demo stock is in): a line per stocked product ×
    warehouse, a lead time's worth, and a few above the stock so the demo shows alerts and suggestions."""
    places = db.session.execute(
        select(StockLevel.product_id, StockLevel.warehouse_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
        .group_by(StockLevel.product_id, StockLevel.warehouse_id)
        .order_by(StockLevel.product_id, StockLevel.warehouse_id).limit(limit)).all()
    made = 0
    for n, (product_id, warehouse_id, available) in enumerate(places):
        if db.session.scalar(select(SafetyStock.id).where(SafetyStock.product_id == product_id,
                                                          SafetyStock.warehouse_id == warehouse_id)):
            continue
        available = Decimal(available or 0)
        line = available + 10 if n % 7 == 0 else (available / 3).quantize(UNIT, ROUND_CEILING)
        set_line(actor, product_id, warehouse_id, line, reorder_qty=max(Decimal(20), line * 2),
                 lead_time_days=7 if n % 2 else 14)
        made += 1
    return f"{made} safety stock lines"
