"""The catalogue (产品目录) a salesperson shows a customer: products on sale as cards, filtered by
category (with its sub-categories), by the values of the chosen category's parameters (choices,
number ranges) and by text, a page at a time; the price is the list price or a chosen price list's
price valid today."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import Numeric, String, and_, bindparam, cast, func, or_, select

from app.extensions import db
from app.modules.products import service
from app.modules.products.models import CHOICE, NUMBER, ON_SALE, PriceList, PriceListItem, Product, ProductCategory

PAGE_SIZE = 24
COUNT_CAP = 1000


@dataclass
class CatalogueQuery:
    category_id: int | None = None
    text: str = ""
    price_list_id: int | None = None
    choices: dict = field(default_factory=dict)     # parameter name -> [values]
    ranges: dict = field(default_factory=dict)      # parameter name -> (low, high) Decimals or None
    page: int = 1


def _decimal(text):
    try:
        value = Decimal(str(text).strip())
        return value if value.is_finite() else None
    except (InvalidOperation, ValueError):
        return None


def read_query(args) -> CatalogueQuery:
    """The catalogue's filters from a request's arguments (anything unreadable is ignored)."""
    def number(name):
        raw = args.get(name, "")
        return int(raw) if str(raw).isdigit() and int(raw) < 2**31 else None

    query = CatalogueQuery(category_id=number("category"), text=(args.get("q") or "").strip()[:100],
                           price_list_id=number("price_list"), page=max(1, min(number("page") or 1, 10_000)))
    if query.category_id is not None:
        for parameter in service.parameters_of(query.category_id):
            key = f"p{parameter.id}"
            if parameter.kind == CHOICE:
                picked = [v for v in args.getlist(key) if v in (parameter.choices or [])]
                if picked:
                    query.choices[parameter.name] = picked
            elif parameter.kind == NUMBER:
                low, high = _decimal(args.get(f"{key}_min", "")), _decimal(args.get(f"{key}_max", ""))
                if low is not None or high is not None:
                    query.ranges[parameter.name] = (low, high)
    return query


def param_text(name: str):
    """A parameter's value as text in SQL. SQLite's json_extract matches keys as stored, and the
    JSON of SQLite rows escapes non-ASCII keys (\\u989c\\u8272): the path is written the same way."""
    import json

    if db.engine.dialect.name == "postgresql":
        return Product.params.op("->>")(name)
    return func.json_extract(Product.params, "$." + json.dumps(name))


def _filtered(query: CatalogueQuery):
    stmt = select(Product).where(Product.status == ON_SALE)
    if query.category_id is not None:
        stmt = stmt.where(Product.category_id.in_(service.descendants(query.category_id)))
    if query.text:
        like = f"%{query.text.replace('%', '').replace('_', '')}%"
        columns = (Product.name, Product.sku, Product.brand, Product.model)
        if db.engine.dialect.name == "postgresql" and len(query.text) >= 2:
            # Each column's bigram index (products_0002) finds the candidates; the ILIKE decides, and
            # comes first: rechecking a row's bigrams costs ten times its ILIKE (half the time at 4,000 hits).
            term = bindparam(None, query.text, type_=String(), literal_execute=True, unique=True)
            stmt = stmt.where(or_(*[and_(c.ilike(like), func.zwt_bigrams(c).op("@>")(func.zwt_bigrams(term)))
                                    for c in columns]))
        else:
            stmt = stmt.where(or_(*[c.ilike(like) for c in columns]))
    for name, values in query.choices.items():
        stmt = stmt.where(param_text(name).in_(values))
    for name, (low, high) in query.ranges.items():
        number = cast(param_text(name), Numeric(18, 4))
        if low is not None:
            stmt = stmt.where(number >= low)
        if high is not None:
            stmt = stmt.where(number <= high)
    return stmt


def search(query: CatalogueQuery) -> dict:
    """A page of cards: {"products", "count" (capped), "more" (beyond the cap), "pages", "prices",
    "key_params": {product id: [(name, value, unit)]}}."""
    # One scan: the first COUNT_CAP + 1 ids in order give the (capped) count and the page.
    ids = list(db.session.scalars(_filtered(query).with_only_columns(Product.id)
                                  .order_by(Product.id.desc()).limit(COUNT_CAP + 1)))
    more = len(ids) > COUNT_CAP
    count = min(len(ids), COUNT_CAP)
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(query.page, pages)
    shown = ids[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    found = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(shown)))} if shown else {}
    products = [found[i] for i in shown if i in found]
    return {"products": products, "count": count, "more": more, "pages": pages, "page": page,
            "prices": prices_of(products, query.price_list_id), "key_params": key_parameters(products)}


def prices_of(products: list, price_list_id: int | None, day: dt.date | None = None) -> dict:
    """{product id: price}: the price list's price valid on `day` (today), else none; the list price
    without a price list."""
    if price_list_id is None:
        return {p.id: p.list_price for p in products}
    day = day or dt.date.today()
    found: dict = {}
    rows = db.session.execute(
        select(PriceListItem.product_id, PriceListItem.price, PriceListItem.valid_from)
        .where(PriceListItem.price_list_id == price_list_id, PriceListItem.product_id.in_([p.id for p in products]),
               or_(PriceListItem.valid_from.is_(None), PriceListItem.valid_from <= day),
               or_(PriceListItem.valid_to.is_(None), PriceListItem.valid_to >= day)))
    best: dict = {}
    for product_id, price, valid_from in rows:
        start = valid_from or dt.date.min
        if product_id not in best or start > best[product_id]:
            best[product_id], found[product_id] = start, price
    return found


def key_parameters(products: list) -> dict:
    """{product id: [(name, value, unit)]} of the parameters marked "shown on cards"."""
    by_category: dict = {}
    out = {}
    for product in products:
        if product.category_id not in by_category:
            by_category[product.category_id] = [p for p in service.parameters_of(product.category_id) if p.key]
        params = product.params or {}
        out[product.id] = [(p.name, params[p.name], p.unit or "") for p in by_category[product.category_id]
                           if params.get(p.name) not in (None, "")]
    return out


def category_tree() -> list:
    """[(category, depth)] in tree order, for the category filter."""
    rows = list(db.session.scalars(select(ProductCategory).order_by(ProductCategory.sort_order, ProductCategory.name)))
    children: dict = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    out, seen = [], set()

    def walk(parent_id, depth):
        for row in children.get(parent_id, []):
            if row.id in seen:
                continue
            seen.add(row.id)
            out.append((row, depth))
            walk(row.id, depth + 1)

    walk(None, 0)
    return out


def price_lists() -> list:
    return list(db.session.scalars(select(PriceList).order_by(PriceList.name)))
