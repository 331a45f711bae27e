"""Warehouses, zones, bins, stock levels per product × warehouse × bin, the stock moves that change them
(never edited or deleted) and reservations of confirmed orders."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import (Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import relationship

from app.core.clock import utcnow

QTY = Numeric(16, 4)

RECEIPT, SHIPMENT, TRANSFER_OUT, TRANSFER_IN, ADJUSTMENT, COUNT = (
    "receipt", "shipment", "transfer_out", "transfer_in", "adjustment", "count")
# session.info: {(product_id, warehouse_id)} a transaction's moves touched (the safety-stock check reads it)
PLACES_MOVED = "inventory.places_moved"
MOVE_KINDS = (RECEIPT, SHIPMENT, TRANSFER_OUT, TRANSFER_IN, ADJUSTMENT, COUNT)
KIND_CHOICES = [
    (RECEIPT, lazy_pgettext("stock move", "Receipt")),
    (SHIPMENT, lazy_pgettext("stock move", "Shipment")),
    (TRANSFER_OUT, lazy_pgettext("stock move", "Transfer out")),
    (TRANSFER_IN, lazy_pgettext("stock move", "Transfer in")),
    (ADJUSTMENT, lazy_pgettext("stock move", "Adjustment")),
    (COUNT, lazy_pgettext("stock move", "Count correction")),
]


class Warehouse(Model):
    __tablename__ = "warehouse"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    name = Column(String(100), nullable=False)
    address = Column(String(255))
    manager_id = Column(Integer, ForeignKey("ab_user.id"))
    active = Column(Boolean, nullable=False, default=True)

    manager = relationship("AppUser", foreign_keys=[manager_id])

    def __str__(self) -> str:
        return self.name or ""


class WarehouseZone(Model):
    __tablename__ = "warehouse_zone"
    __table_args__ = (UniqueConstraint("warehouse_id", "code", name="uq_warehouse_zone_code"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    warehouse_id = Column(Integer, ForeignKey("warehouse.id"), nullable=False, index=True)
    code = Column(String(32), nullable=False)
    name = Column(String(100), nullable=False)

    warehouse = relationship("Warehouse")

    def __str__(self) -> str:
        return self.name or ""


class WarehouseBin(Model):
    __tablename__ = "warehouse_bin"
    __table_args__ = (UniqueConstraint("warehouse_id", "code", name="uq_warehouse_bin_code"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    warehouse_id = Column(Integer, ForeignKey("warehouse.id"), nullable=False, index=True)
    zone_id = Column(Integer, ForeignKey("warehouse_zone.id"), index=True)
    code = Column(String(32), nullable=False)
    active = Column(Boolean, nullable=False, default=True)

    warehouse = relationship("Warehouse")
    zone = relationship("WarehouseZone")

    def __str__(self) -> str:
        return self.code or ""


class StockLevel(Model):
    """One row per product × warehouse × bin (bin_key 0: the warehouse without a bin)."""
    __tablename__ = "stock_level"
    __table_args__ = (
        UniqueConstraint("product_id", "warehouse_id", "bin_key", name="uq_stock_level_place"),
        CheckConstraint("on_hand >= 0", name="ck_stock_level_on_hand"),
        CheckConstraint("reserved >= 0", name="ck_stock_level_reserved"),
        CheckConstraint("reserved <= on_hand", name="ck_stock_level_available"),
        CheckConstraint("in_transit >= 0", name="ck_stock_level_in_transit"),
        Index("ix_stock_level_warehouse_product", "warehouse_id", "product_id", "id"),
        Index("ix_stock_level_warehouse_id_id", "warehouse_id", "id"),     # a warehouse's stock, newest first
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    warehouse_id = Column(Integer, ForeignKey("warehouse.id"), nullable=False)
    bin_id = Column(Integer, ForeignKey("warehouse_bin.id"))
    bin_key = Column(Integer, nullable=False, default=0)
    on_hand = Column(QTY, nullable=False, default=0)
    reserved = Column(QTY, nullable=False, default=0)
    in_transit = Column(QTY, nullable=False, default=0)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    product = relationship("Product", viewonly=True)
    warehouse = relationship("Warehouse", viewonly=True)
    bin = relationship("WarehouseBin", viewonly=True)

    @property
    def available(self):
        return self.on_hand - self.reserved

    def __str__(self) -> str:
        place = " · ".join(str(p) for p in (self.warehouse, self.bin) if p is not None)
        return f"{self.product} @ {place}" if self.product is not None else place


class StockMove(Model):
    """A change of stock. Never edited or deleted: a correction is a new move."""
    __tablename__ = "stock_move"
    __table_args__ = (
        Index("ix_stock_move_product_created", "product_id", "created_at"),
        Index("ix_stock_move_warehouse_created", "warehouse_id", "created_at"),
        Index("ix_stock_move_document", "doc_type", "doc_ref"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False, info={"choices": KIND_CHOICES})
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    warehouse_id = Column(Integer, ForeignKey("warehouse.id"), nullable=False)
    bin_id = Column(Integer, ForeignKey("warehouse_bin.id"))
    quantity = Column(QTY, nullable=False)          # signed: + into stock, − out of stock
    doc_type = Column(String(32))
    doc_ref = Column(String(64))
    user_id = Column(Integer, ForeignKey("ab_user.id"))
    note = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    product = relationship("Product", viewonly=True)
    warehouse = relationship("Warehouse", viewonly=True)
    bin = relationship("WarehouseBin", viewonly=True)
    user = relationship("AppUser", viewonly=True)

    def __str__(self) -> str:
        return f"#{self.id} {self.product or ''}".strip()


class StockReservation(Model):
    """Quantity held for a document (a confirmed order) at one stock level."""
    __tablename__ = "stock_reservation"
    __table_args__ = (
        UniqueConstraint("doc_type", "doc_ref", "level_id", name="uq_stock_reservation_doc_level"),
        CheckConstraint("quantity >= 0", name="ck_stock_reservation_quantity"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    level_id = Column(Integer, ForeignKey("stock_level.id"), nullable=False, index=True)
    doc_type = Column(String(32), nullable=False)
    doc_ref = Column(String(64), nullable=False)
    quantity = Column(QTY, nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
