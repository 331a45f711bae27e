"""Catalogue rules, for every screen, API, import and job: products, the category tree, typed
parameters and prices valid over a period."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import or_

from app.core.errors import DomainError, NotFound, ValidationErrors
from app.extensions import db
from app.modules.products.models import (
    CHOICE, DISCONTINUED, NUMBER, STATUS_CHOICES, CategoryParameter, PriceListItem, Product, ProductCategory)

STATUSES = {key for key, _label in STATUS_CHOICES}


# ---- the category tree ----------------------------------------------------------------------

def ancestors(category_id: int | None) -> list[int]:
    """The category and its parents, nearest first."""
    seen: list[int] = []
    while category_id is not None and category_id not in seen:
        seen.append(category_id)
        category_id = db.session.query(ProductCategory.parent_id).filter_by(id=category_id).scalar()
    return seen


def descendants(category_id: int) -> list[int]:
    """The category and every category under it (for filtering a list by category)."""
    found, frontier = [category_id], [category_id]
    while frontier:
        frontier = [row[0] for row in db.session.query(ProductCategory.id)
                    .filter(ProductCategory.parent_id.in_(frontier))]
        frontier = [c for c in frontier if c not in found]
        found += frontier
    return found


def save_category(category: ProductCategory) -> ProductCategory:
    errors: dict[str, list[str]] = {}
    if not (category.name or "").strip():
        errors["name"] = [_("Enter the category name.")]
    if not (category.code or "").strip():
        errors["code"] = [_("Enter the category code.")]
    elif db.session.query(ProductCategory.id).filter(
            ProductCategory.code == category.code.strip(), ProductCategory.id != (category.id or 0)).first():
        errors["code"] = [_("Another category already has this code.")]
    if category.parent_id is not None and category.id is not None and category.id in ancestors(category.parent_id):
        errors["parent"] = [_("A category cannot be placed under itself or under one of its sub-categories.")]
    if errors:
        raise ValidationErrors(errors)
    category.code = category.code.strip()
    category.name = category.name.strip()
    category.sort_order = category.sort_order or 0
    db.session.add(category)
    db.session.commit()
    return category


def parameters_of(category_id: int | None) -> list[CategoryParameter]:
    """The parameters a product of the category carries: its own and those of its parents
    (a sub-category's parameter of the same name wins)."""
    chain = ancestors(category_id)
    if not chain:
        return []
    rows = db.session.query(CategoryParameter).filter(CategoryParameter.category_id.in_(chain)).all()
    depth = {cid: i for i, cid in enumerate(chain)}
    by_name: dict[str, CategoryParameter] = {}
    for p in sorted(rows, key=lambda p: -depth[p.category_id]):
        by_name[p.name] = p
    return sorted(by_name.values(), key=lambda p: (p.sort_order or 0, p.id))


# ---- parameters -----------------------------------------------------------------------------

def clean_parameters(category_id: int | None, values: dict | None) -> dict:
    """Typed parameter values by name, or ValidationErrors keyed "params.<name>"."""
    if values is not None and not isinstance(values, dict):
        raise ValidationErrors({"params": [_("Give the parameters as names with their values.")]})
    values = dict(values or {})
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    known = parameters_of(category_id)
    names = {p.name for p in known}
    for name in values:
        if name not in names:
            errors[f"params.{name}"] = [_("The category has no parameter “%(name)s”.", name=name)]
    for p in known:
        raw = values.get(p.name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if p.required:
                errors[f"params.{p.name}"] = [_("Enter %(name)s.", name=p.name)]
            continue
        if p.kind == NUMBER:
            try:
                number = Decimal(str(raw).strip())
                if not number.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors[f"params.{p.name}"] = [_("%(name)s must be a number.", name=p.name)]
                continue
            cleaned[p.name] = str(number)
        elif p.kind == CHOICE:
            text = str(raw).strip()
            if text not in (p.choices or []):
                errors[f"params.{p.name}"] = [_("%(name)s must be one of: %(choices)s.", name=p.name,
                                                choices="、".join(p.choices or []))]
                continue
            cleaned[p.name] = text
        else:
            cleaned[p.name] = str(raw).strip()
    if errors:
        raise ValidationErrors(errors)
    return cleaned


# ---- products -------------------------------------------------------------------------------

def _money(value, field: str, errors: dict, places: str = "0.01") -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors[field] = [_("Enter a number.")]
        return None
    if amount < 0:
        errors[field] = [_("Cannot be negative.")]
        return None
    return amount.quantize(Decimal(places))


def _check_product(product: Product) -> None:
    errors: dict[str, list[str]] = {}
    product.sku = (product.sku or "").strip()
    product.name = (product.name or "").strip()
    product.barcode = (product.barcode or "").strip() or None
    if not product.sku:
        errors["sku"] = [_("Enter the SKU.")]
    elif db.session.query(Product.id).filter(Product.sku == product.sku,
                                             Product.id != (product.id or 0)).first():
        errors["sku"] = [_("Another product already has this SKU.")]
    if not product.name:
        errors["name"] = [_("Enter the product name.")]
    if product.barcode and db.session.query(Product.id).filter(
            Product.barcode == product.barcode, Product.id != (product.id or 0)).first():
        errors["barcode"] = [_("Another product already has this barcode.")]
    product.list_price = _money(product.list_price, "list_price", errors)
    product.cost = _money(product.cost, "cost", errors)
    product.tax_rate = _money(product.tax_rate, "tax_rate", errors)
    if product.tax_rate is not None and product.tax_rate > 100:
        errors["tax_rate"] = [_("The tax rate is a percentage between 0 and 100.")]
    product.status = product.status or "draft"
    if product.status not in STATUSES:
        errors["status"] = [_("Choose a status from the list.")]
    if product.category_id is not None and db.session.get(ProductCategory, product.category_id) is None:
        errors["category"] = [_("Choose a category from the list.")]
    try:
        product.params = clean_parameters(product.category_id, product.params)
    except ValidationErrors as err:
        errors.update(err.errors)
    if errors:
        raise ValidationErrors(errors)


def create_product(actor, product: Product) -> Product:
    _check_product(product)
    db.session.add(product)
    db.session.commit()
    return product


def update_product(actor, product_id: int, **changes) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound("products.not_found", _("The product does not exist or was deleted."))
    for key, value in changes.items():
        setattr(product, key, value)
    try:
        _check_product(product)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return product


def retire_product(actor, product_id: int) -> Product:
    return update_product(actor, product_id, status=DISCONTINUED)


# ---- prices ---------------------------------------------------------------------------------

def _overlaps(item: PriceListItem):
    """Items of the same list and product whose validity meets the item's (open ends included)."""
    query = db.session.query(PriceListItem).filter(
        PriceListItem.price_list_id == item.price_list_id, PriceListItem.product_id == item.product_id,
        PriceListItem.id != (item.id or 0))
    if item.valid_to is not None:
        query = query.filter(or_(PriceListItem.valid_from.is_(None), PriceListItem.valid_from <= item.valid_to))
    if item.valid_from is not None:
        query = query.filter(or_(PriceListItem.valid_to.is_(None), PriceListItem.valid_to >= item.valid_from))
    return query


def save_price(item: PriceListItem) -> PriceListItem:
    errors: dict[str, list[str]] = {}
    item.price = _money(item.price, "price", errors)
    if item.price is None and "price" not in errors:
        errors["price"] = [_("Enter the price.")]
    if item.price_list_id is None:
        errors["price_list"] = [_("Choose a price list.")]
    if item.product_id is None:
        errors["product"] = [_("Choose a product.")]
    if item.valid_from and item.valid_to and item.valid_to < item.valid_from:
        errors["valid_to"] = [_("The end of validity cannot be before its start.")]
    if not errors and _overlaps(item).first() is not None:
        errors["valid_from"] = [_("This product already has a price in this list for part of that period.")]
    if errors:
        raise ValidationErrors(errors)
    db.session.add(item)
    db.session.commit()
    return item


def price_on(product_id: int, price_list_id: int, day: dt.date | None = None) -> Decimal | None:
    """The price of a product in a price list on a day (today by default), None when none is valid."""
    day = day or dt.date.today()
    row = (db.session.query(PriceListItem.price)
           .filter(PriceListItem.product_id == product_id, PriceListItem.price_list_id == price_list_id,
                   or_(PriceListItem.valid_from.is_(None), PriceListItem.valid_from <= day),
                   or_(PriceListItem.valid_to.is_(None), PriceListItem.valid_to >= day))
           .order_by(PriceListItem.valid_from.desc()).first())
    return row[0] if row else None


# ---- the hooks the generated screens and API call -------------------------------------------

def _saved(check, item):
    try:
        check(item)
    except DomainError:
        db.session.rollback()
        raise
    db.session.add(item)
    db.session.commit()
    return item


def _deleted(actor, item, code: str) -> None:
    from app.core.references import refuse_if_referenced

    with db.session.no_autoflush:
        refuse_if_referenced(actor, item, code)
    db.session.delete(item)
    db.session.commit()


def delete_product(actor, product: Product) -> None:
    """Delete a product nothing refers to; one in price lists (or later orders) is refused, naming
    them, and offers to retire it (停售) instead."""
    _deleted(actor, product, "products.in_use")


def alternatives_to_deleting(actor, product: Product) -> list:
    from app.core.references import Alternative

    if product.status == DISCONTINUED:
        return []
    return [Alternative(_("retire it (discontinued)"), f"/products/show/{product.id}")]


def retire(actor, items) -> None:
    """The list action: the chosen products become discontinued (停售)."""
    for item in items:
        retire_product(actor, item.id)


def _check_category(category: ProductCategory) -> None:
    save_category(category)


def _check_parameter(parameter: CategoryParameter) -> None:
    errors: dict[str, list[str]] = {}
    parameter.name = (parameter.name or "").strip()
    if not parameter.name:
        errors["name"] = [_("Enter the parameter name.")]
    if parameter.category_id is None and parameter.category is None:
        errors["category"] = [_("Choose a category from the list.")]
    if parameter.kind not in (NUMBER, CHOICE, "text"):
        errors["kind"] = [_("Choose a kind from the list.")]
    choices = parameter.choices
    if isinstance(choices, str):
        choices = [c.strip() for c in choices.replace("，", ",").replace("、", ",").split(",") if c.strip()]
    parameter.choices = choices or None
    if parameter.kind == CHOICE and not parameter.choices:
        errors["choices"] = [_("List the values to choose from, separated by commas.")]
    if errors:
        raise ValidationErrors(errors)
    parameter.required = bool(parameter.required)
    parameter.key = bool(parameter.key)
    parameter.sort_order = parameter.sort_order or 0


def _check_price_list(price_list) -> None:
    price_list.name = (price_list.name or "").strip()
    if not price_list.name:
        raise ValidationErrors({"name": [_("Enter the price list name.")]})


def _linked(item, **pairs):
    """Forms set relationships, the API sets ids: the rules read the ids."""
    for column, relation in pairs.items():
        other = getattr(item, relation, None)
        if other is not None and getattr(item, column, None) is None:
            setattr(item, column, other.id)
    return item


class products:
    """The hooks the generated screens and API call for products."""
    create = staticmethod(lambda actor, item: create_product(actor, _linked(item, category_id="category")))
    update = staticmethod(lambda actor, item: _saved(_check_product, _linked(item, category_id="category")))
    delete = staticmethod(delete_product)


class product_categories:
    create = update = staticmethod(lambda actor, item: save_category(_linked(item, parent_id="parent")))
    delete = staticmethod(lambda actor, item: _deleted(actor, item, "product_categories.in_use"))


class category_parameters:
    create = update = staticmethod(lambda actor, item: _saved(_check_parameter, _linked(item, category_id="category")))
    delete = staticmethod(lambda actor, item: _deleted(actor, item, "category_parameters.in_use"))


class price_lists:
    create = update = staticmethod(lambda actor, item: _saved(_check_price_list, item))
    delete = staticmethod(lambda actor, item: _deleted(actor, item, "price_lists.in_use"))


class price_list_items:
    create = update = staticmethod(lambda actor, item: save_price(
        _linked(item, price_list_id="price_list", product_id="product")))
    delete = staticmethod(lambda actor, item: _deleted(actor, item, "price_list_items.in_use"))
