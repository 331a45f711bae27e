"""智能推荐 in the application: recording product views (per user, and per customer being served), the
nightly recomputation of the suggestions kept per product, and the live suggestions for a customer.

Order history comes from the modules that sell: each registers a basket source with
`register_basket_source(fn)`, where fn(since, customer_id) yields (order_key, customer_id, product_id) for
the orders placed since `since` (a datetime or None), of one customer or of all (customer_id None).
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from typing import Callable

from flask import session
from sqlalchemy import delete, insert, select

from app.core.clock import utcnow
from app.extensions import db
from app.modules.products import recommend
from app.modules.products.models import ON_SALE, Product, ProductCategory
from app.modules.products.recommend import Basket, ProductFacts, Suggestion
from app.modules.products.recommend_models import ProductSuggestion, ProductView

log = logging.getLogger(__name__)
HISTORY_DAYS = 730           # orders of the last two years train the pairs
VIEW_DAYS = 90               # views of the last three months speak for a customer
SERVING = "zwt_serving_customer"

_sources: list[Callable] = []


def register_basket_source(fn: Callable) -> None:
    if fn not in _sources:
        _sources.append(fn)


def baskets(since=None, customer_id=None) -> list[Basket]:
    grouped: dict[tuple, set] = defaultdict(set)
    owners: dict[tuple, int | None] = {}
    for index, source in enumerate(_sources):
        for order_key, customer, product_id in source(since, customer_id):
            key = (index, order_key)
            grouped[key].add(product_id)
            owners[key] = customer
    return [Basket(key, owners[key], frozenset(items)) for key, items in grouped.items()]


def product_facts() -> list[ProductFacts]:
    parents = dict(db.session.execute(select(ProductCategory.id, ProductCategory.parent_id)).all())
    rows = db.session.execute(select(Product.id, Product.category_id, Product.brand, Product.list_price,
                                     Product.params).where(Product.status == ON_SALE)).all()
    return [ProductFacts(pid, category, parents.get(category), brand, price, params if isinstance(params, dict) else {})
            for pid, category, brand, price, params in rows]


def recompute(today: dt.datetime | None = None) -> dict:
    """The suggestions kept per product, from the orders of the last two years and the catalogue's
    parameters, written in one transaction (the pages read the old ones until it commits) in batches, so
    memory stays flat whatever the catalogue's size."""
    started = time.monotonic()
    now = today or utcnow()
    history = baskets(since=now - dt.timedelta(days=HISTORY_DAYS))
    pairs = recommend.co_purchase(history)
    orders = len(history)
    del history
    db.session.execute(delete(ProductSuggestion))
    rows: list[dict] = []
    counted = {recommend.CO_PURCHASE: 0, recommend.SIMILAR: 0}

    def write(kind, product_id, suggestions):
        counted[kind] += 1
        rows.extend({"product_id": product_id, "other_id": s.product_id, "kind": kind, "rank": rank,
                     "score": round(s.score, 6), "computed_at": now} for rank, s in enumerate(suggestions))
        if len(rows) >= 5000:
            db.session.execute(insert(ProductSuggestion), rows)
            rows.clear()

    for product_id, suggestions in pairs.items():
        write(recommend.CO_PURCHASE, product_id, suggestions)
    del pairs
    for product_id, suggestions in recommend.iter_similar(product_facts()):
        write(recommend.SIMILAR, product_id, suggestions)
    if rows:
        db.session.execute(insert(ProductSuggestion), rows)
    db.session.commit()
    return {"orders": orders, "co_purchase": counted[recommend.CO_PURCHASE], "similar": counted[recommend.SIMILAR],
            "seconds": round(time.monotonic() - started, 3)}


# -- the customer being served ------------------------------------------------------------------------
def serving_customer_id() -> int | None:
    value = session.get(SERVING)
    return int(value) if isinstance(value, int) else None


def serve(customer_id: int | None) -> None:
    if customer_id is None:
        session.pop(SERVING, None)
    else:
        session[SERVING] = int(customer_id)


def record_view(user_id: int, product_id: int, customer_id: int | None = None) -> None:
    db.session.execute(insert(ProductView).values(product_id=product_id, user_id=user_id, customer_id=customer_id,
                                                  viewed_at=utcnow()))
    db.session.commit()


# -- reading suggestions ------------------------------------------------------------------------------
def _stored(product_ids, kind=None, per_product=None) -> dict[int, list[Suggestion]]:
    if not product_ids:
        return {}
    query = select(ProductSuggestion.product_id, ProductSuggestion.other_id, ProductSuggestion.kind,
                   ProductSuggestion.score).where(ProductSuggestion.product_id.in_(list(product_ids)))
    if kind is not None:
        query = query.where(ProductSuggestion.kind == kind)
    if per_product is not None:
        query = query.where(ProductSuggestion.rank < per_product)
    out: dict[str, dict[int, list[Suggestion]]] = {recommend.CO_PURCHASE: defaultdict(list),
                                                   recommend.SIMILAR: defaultdict(list)}
    for product_id, other_id, row_kind, score in db.session.execute(query.order_by(ProductSuggestion.rank)):
        out[row_kind][product_id].append(Suggestion(other_id, score, row_kind, [product_id]))
    return out


def _on_sale(ids) -> dict[int, Product]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(list(ids)),
                                                                       Product.status == ON_SALE))}


def for_product(product_id: int, keep: int = 6) -> dict[str, list[tuple[Product, Suggestion]]]:
    """常一起购买 and 相似产品 beside a product, products on sale only."""
    stored = _stored([product_id], per_product=keep * 2)
    result = {}
    for kind in (recommend.CO_PURCHASE, recommend.SIMILAR):
        suggestions = stored[kind].get(product_id, [])
        products = _on_sale(s.product_id for s in suggestions)
        result[kind] = [(products[s.product_id], s) for s in suggestions if s.product_id in products][:keep]
    return result


def customer_history(customer_id: int) -> tuple[list[int], list[int]]:
    """(products the customer bought, oldest first; products viewed while serving them, newest first)."""
    bought = []
    for basket in sorted(baskets(customer_id=customer_id), key=lambda b: str(b.key)):
        bought.extend(sorted(basket.products))
    since = utcnow() - dt.timedelta(days=VIEW_DAYS)
    viewed = list(db.session.scalars(select(ProductView.product_id).where(
        ProductView.customer_id == customer_id, ProductView.viewed_at >= since)
        .order_by(ProductView.viewed_at.desc(), ProductView.id.desc()).limit(50)))
    return bought, viewed


def for_customer(customer_id: int, keep: int = 8) -> list[tuple[Product, Suggestion]]:
    """为该客户推荐: live from the customer's orders and the products viewed for them, over the suggestions
    the nightly job keeps; the most popular products fill up."""
    bought, viewed = customer_history(customer_id)
    sources = set(bought) | set(viewed)
    stored = _stored(sources)
    fallback = _popular()
    suggestions = recommend.for_customer(bought, viewed, stored[recommend.CO_PURCHASE],
                                         stored[recommend.SIMILAR], fallback, keep=keep * 2)
    products = _on_sale({s.product_id for s in suggestions} | {p for s in suggestions for p in s.because})
    names = {pid: product for pid, product in products.items()}
    out = []
    for s in suggestions:
        if s.product_id in products:
            s.because = [names[p] for p in s.because if p in names]
            out.append((products[s.product_id], s))
    return out[:keep]


def _popular(keep: int = 20) -> list[Suggestion]:
    """The products most often suggested beside others as bought together, else the newest on sale."""
    from sqlalchemy import func

    rows = db.session.execute(select(ProductSuggestion.other_id, func.count()).where(
        ProductSuggestion.kind == recommend.CO_PURCHASE).group_by(ProductSuggestion.other_id)
        .order_by(func.count().desc(), ProductSuggestion.other_id).limit(keep)).all()
    if rows:
        return [Suggestion(pid, float(n), recommend.POPULAR) for pid, n in rows]
    newest = db.session.scalars(select(Product.id).where(Product.status == ON_SALE)
                                .order_by(Product.id.desc()).limit(keep)).all()
    return [Suggestion(pid, 1.0 / (1 + i), recommend.POPULAR) for i, pid in enumerate(newest)]
