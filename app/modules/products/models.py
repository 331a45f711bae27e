"""The product catalogue: categories as a tree, products, the parameters each category asks for,
and price lists with prices valid over a period."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, JSON, Numeric, String,
                        Text, UniqueConstraint)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import relationship

from app.core.clock import utcnow

JSONB = JSON().with_variant(postgresql.JSONB(), "postgresql")

ON_SALE, DISCONTINUED, DRAFT = "on_sale", "discontinued", "draft"
STATUS_CHOICES = [
    (ON_SALE, lazy_pgettext("product status", "On sale")),
    (DISCONTINUED, lazy_pgettext("product status", "Discontinued")),
    (DRAFT, lazy_pgettext("product status", "Draft")),
]
NUMBER, TEXT, CHOICE = "number", "text", "choice"
KIND_CHOICES = [
    (NUMBER, lazy_pgettext("parameter kind", "Number")),
    (TEXT, lazy_pgettext("parameter kind", "Text")),
    (CHOICE, lazy_pgettext("parameter kind", "Choice")),
]


class ProductCategory(Model):
    __tablename__ = "product_category"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("product_category.id"), index=True)
    code = Column(String(32), unique=True, nullable=False)
    name = Column(String(100), nullable=False)
    sort_order = Column(Integer, nullable=False, default=0)

    parent = relationship("ProductCategory", remote_side=[id], foreign_keys=[parent_id])

    def __str__(self) -> str:
        return self.name or ""

    def path(self) -> str:
        """The category with its parents, e.g. 办公设备 / 打印机 / 激光打印机."""
        names, seen, node = [], set(), self
        while node is not None and node.id not in seen:
            seen.add(node.id)
            names.append(node.name or "")
            node = node.parent
        return " / ".join(reversed(names))


class CategoryParameter(Model):
    """A parameter the products of a category (and of its sub-categories) carry."""
    __tablename__ = "category_parameter"
    __table_args__ = (UniqueConstraint("category_id", "name", name="uq_category_parameter_name"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    category_id = Column(Integer, ForeignKey("product_category.id"), nullable=False, index=True)
    name = Column(String(60), nullable=False)
    kind = Column(String(8), nullable=False, default=TEXT, info={"choices": KIND_CHOICES})
    unit = Column(String(16))
    choices = Column(JSONB)                 # list of allowed values for kind "choice"
    required = Column(Boolean, nullable=False, default=False)
    key = Column(Boolean, nullable=False, default=False)   # shown on catalogue cards
    sort_order = Column(Integer, nullable=False, default=0)

    category = relationship("ProductCategory", foreign_keys=[category_id])

    def __str__(self) -> str:
        return self.name or ""


class Product(Model):
    __tablename__ = "product"
    __table_args__ = (
        Index("ix_product_category_id_id", "category_id", "id"),
        Index("ix_product_status_id", "status", "id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    sku = Column(String(64), unique=True, nullable=False)
    name = Column(String(200), nullable=False)
    brand = Column(String(100), index=True)
    model = Column(String(100))
    unit = Column(String(16))
    barcode = Column(String(64), unique=True)   # unique when present (NULLs do not collide)
    tax_rate = Column(Numeric(5, 2))           # percent, e.g. 13.00
    list_price = Column(Numeric(14, 2))
    cost = Column(Numeric(14, 2))
    status = Column(String(16), nullable=False, default=DRAFT, info={"choices": STATUS_CHOICES})
    category_id = Column(Integer, ForeignKey("product_category.id"))
    main_image_id = Column(Integer)           # the attachment shown on cards and the product page
    params = Column(JSONB, nullable=False, default=dict)
    description = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    category = relationship("ProductCategory", foreign_keys=[category_id], lazy="joined")

    def __str__(self) -> str:
        return f"{self.sku or ''} {self.name or ''}".strip()


class PriceList(Model):
    __tablename__ = "price_list"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id = Column(Integer, primary_key=True)
    name = Column(String(60), unique=True, nullable=False)   # e.g. 经销价, 零售价
    notes = Column(Text)

    def __str__(self) -> str:
        return self.name or ""


class PriceListItem(Model):
    __tablename__ = "price_list_item"
    __table_args__ = (Index("ix_price_list_item_list_product", "price_list_id", "product_id", "valid_from"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    price_list_id = Column(Integer, ForeignKey("price_list.id"), nullable=False)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False, index=True)
    price = Column(Numeric(14, 2), nullable=False)
    valid_from = Column(Date)   # open when empty
    valid_to = Column(Date)     # open when empty; inclusive

    price_list = relationship("PriceList", foreign_keys=[price_list_id], lazy="joined")
    product = relationship("Product", foreign_keys=[product_id])
