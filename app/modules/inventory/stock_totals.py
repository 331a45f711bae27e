"""Stock kept per product × warehouse on PostgreSQL, for the reports that rank or add up the stock of every place:
库存分析's largest stocks (by value, or by quantity) and the stock value of each warehouse.

Over 600,000 places, grouping stock_level by product and warehouse on every request took 0.6–1.8 s. Instead, as
app/core/chart_cache keeps the charts' totals:

- `stock_total` holds each product × warehouse's on hand, reserved and value (on hand × the product's cost) as of
  the last fold, in index order of value and of on hand;
- statement triggers on stock_level (inventory_speed_0003) append every write's net change per product ×
  warehouse to `stock_total_delta`, in the writer's own transaction: nothing is locked but the new row, so moves
  never wait on each other for it, and nothing is counted twice or lost;
- a trigger on product keeps the value right when a cost changes (under the fold's lock);
- the minute job (`fold`) moves the changes into the totals.

A reader adds the changes not yet folded to the totals in one statement, so it sees exactly what a GROUP BY over
stock_level would. The `limit` largest: of the places no change touched, the order of the totals is the order of
now; the first `limit` + (places changed) of the totals therefore hold every unchanged place that can be among the
`limit` largest, and the changed ones are added to them. On SQLite the reports group stock_level directly.
"""
from __future__ import annotations

import zlib

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Column, Index, Integer, Numeric, func, select, text, union

from app.extensions import db

LOCK_KEY = zlib.crc32(b"inventory.stock_totals")
AMOUNT = Numeric(20, 4)


class StockTotal(Model):
    """On hand, reserved and value of one product in one warehouse (every bin), as of the last fold."""
    __tablename__ = "stock_total"
    __table_args__ = (Index("ix_stock_total_value", "value", "product_id", "warehouse_id"),
                      Index("ix_stock_total_on_hand", "on_hand", "product_id", "warehouse_id"))

    product_id = Column(Integer, primary_key=True, autoincrement=False)
    warehouse_id = Column(Integer, primary_key=True, autoincrement=False)
    on_hand = Column(AMOUNT, nullable=False, default=0)
    reserved = Column(AMOUNT, nullable=False, default=0)
    value = Column(AMOUNT, nullable=False, default=0)


class StockTotalDelta(Model):
    """A write's net change to one product × warehouse, appended by stock_level's triggers."""
    __tablename__ = "stock_total_delta"

    id = Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    product_id = Column(Integer, nullable=False)
    warehouse_id = Column(Integer, nullable=False)
    on_hand = Column(AMOUNT, nullable=False)
    reserved = Column(AMOUNT, nullable=False)


def kept(session=None) -> bool:
    """Whether the totals are kept (PostgreSQL); elsewhere the reports group stock_level."""
    return (session or db.session).get_bind().dialect.name == "postgresql"


def _changes(filters, product_filter):
    """The changes not yet folded, per product × warehouse, within the filters."""
    delta = StockTotalDelta.__table__.c
    query = (select(delta.product_id, delta.warehouse_id, func.sum(delta.on_hand).label("on_hand"),
                    func.sum(delta.reserved).label("reserved"))
             .group_by(delta.product_id, delta.warehouse_id))
    if filters.warehouse_id:
        query = query.where(delta.warehouse_id == filters.warehouse_id)
    return product_filter(query, filters, delta.product_id).cte("changed")


def largest(filters, limit: int, by_value: bool, product_filter) -> list[tuple]:
    """[(product_id, warehouse_id, on hand, reserved)] of the `limit` places holding the most stock by value (or
    by quantity) now, largest first (of equal ones the later product, warehouse first) — what
    analysis.stock_overview's GROUP BY finds, read from the totals along their index."""
    from app.modules.products.models import Product

    total = StockTotal.__table__.c
    changed = _changes(filters, product_filter)
    order = total.value if by_value else total.on_hand
    # How many places changed, asked first: with it the LIMIT is a number, so the places ahead are read along the
    # index and looked up one by one rather than joined with every total.
    moved = db.session.scalar(select(func.count()).select_from(changed)) or 0
    ahead = (select(total.product_id, total.warehouse_id)
             .order_by(order.desc(), total.product_id.desc(), total.warehouse_id.desc())
             .limit(limit + moved))
    if filters.warehouse_id:
        ahead = ahead.where(total.warehouse_id == filters.warehouse_id)
    ahead = product_filter(ahead, filters, total.product_id).subquery("ahead")
    places = union(select(ahead.c.product_id, ahead.c.warehouse_id),
                   select(changed.c.product_id, changed.c.warehouse_id)).subquery("places")
    on_hand = (func.coalesce(total.on_hand, 0) + func.coalesce(changed.c.on_hand, 0)).label("on_hand")
    reserved = (func.coalesce(total.reserved, 0) + func.coalesce(changed.c.reserved, 0)).label("reserved")
    rank = on_hand * func.coalesce(Product.cost, 0) if by_value else on_hand
    query = (select(places.c.product_id, places.c.warehouse_id, on_hand, reserved)
             .select_from(places)
             .outerjoin(StockTotal, (total.product_id == places.c.product_id)
                        & (total.warehouse_id == places.c.warehouse_id))
             .outerjoin(changed, (changed.c.product_id == places.c.product_id)
                        & (changed.c.warehouse_id == places.c.warehouse_id))
             .join(Product, Product.id == places.c.product_id)
             .where(on_hand > 0)
             .order_by(rank.desc(), places.c.product_id.desc(), places.c.warehouse_id.desc()).limit(limit))
    return db.session.execute(query).all()


def by_warehouse(filters, product_filter) -> dict[int, tuple]:
    """{warehouse id: (on hand, stock value)} now, from the totals and the changes not yet folded (these valued at
    today's cost)."""
    from app.modules.products.models import Product

    total = StockTotal.__table__.c
    changed = _changes(filters, product_filter)
    kept_rows = (select(total.warehouse_id, func.sum(total.on_hand), func.sum(total.value))
                 .group_by(total.warehouse_id))
    if filters.warehouse_id:
        kept_rows = kept_rows.where(total.warehouse_id == filters.warehouse_id)
    kept_rows = product_filter(kept_rows, filters, total.product_id)
    moved = (select(changed.c.warehouse_id, func.sum(changed.c.on_hand),
                    func.sum(changed.c.on_hand * func.coalesce(Product.cost, 0)))
             .join(Product, Product.id == changed.c.product_id).group_by(changed.c.warehouse_id))
    out: dict[int, tuple] = {}
    for warehouse_id, on_hand, value in [*db.session.execute(kept_rows), *db.session.execute(moved)]:
        held, worth = out.get(warehouse_id, (0, 0))
        out[warehouse_id] = (held + (on_hand or 0), worth + (value or 0))
    return out


# -- the minute job ----------------------------------------------------------------------------------
def fold() -> int:
    """Move the changes committed so far into the totals; returns how many places changed. Changes of
    transactions not yet committed stay for the next fold. Safe to run twice at once."""
    if db.engine.dialect.name != "postgresql":
        return 0
    with db.engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM stock_total_delta)")).scalar_one():
            return 0
        folded = conn.execute(text("""
            WITH moved AS (DELETE FROM stock_total_delta RETURNING product_id, warehouse_id, on_hand, reserved),
            summed AS (SELECT product_id, warehouse_id, sum(on_hand) AS on_hand, sum(reserved) AS reserved
                       FROM moved GROUP BY 1, 2)
            INSERT INTO stock_total AS t (product_id, warehouse_id, on_hand, reserved, value)
            SELECT s.product_id, s.warehouse_id, s.on_hand, s.reserved, s.on_hand * coalesce(p.cost, 0)
            FROM summed s JOIN product p ON p.id = s.product_id
            ON CONFLICT (product_id, warehouse_id) DO UPDATE
            SET on_hand = t.on_hand + excluded.on_hand, reserved = t.reserved + excluded.reserved,
                value = t.value + excluded.value""")).rowcount
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE stock_total_delta"))
    return folded

