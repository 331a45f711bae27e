"""Purchase spend kept per month (采购分析报表 reads these, not the order lines): what the orders placed with
suppliers amount to per month, supplier, department and buyer — with how many orders and lines, and what their
lines would have cost at each supplier's first quote for the product — and per month, product category,
department and buyer. Placing an order adds it, cancelling a placed order takes it back (app/modules/purchasing/
spend.py); nothing else changes what a placed order amounts to."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, Index, Integer, Numeric, String

MONEY = Numeric(18, 2)


class PurchaseSpend(Model):
    __tablename__ = "purchase_spend"
    __table_args__ = (Index("ix_purchase_spend_month", "month"),
                      Index("ix_purchase_spend_supplier", "supplier_id", "month"))

    month = Column(String(7), primary_key=True)                 # 2026-11, of the order date
    supplier_id = Column(Integer, primary_key=True)
    department_id = Column(Integer, primary_key=True)           # 0: none
    owner_id = Column(Integer, primary_key=True)
    amount = Column(MONEY, nullable=False, default=0)
    orders = Column(Integer, nullable=False, default=0)
    lines = Column(Integer, nullable=False, default=0)
    quoted = Column(MONEY, nullable=False, default=0)          # lines with a first quote, at its price
    quoted_amount = Column(MONEY, nullable=False, default=0)   # the same lines as ordered


class PurchaseCategorySpend(Model):
    __tablename__ = "purchase_category_spend"
    __table_args__ = (Index("ix_purchase_category_spend_month", "month"),)

    month = Column(String(7), primary_key=True)
    category_id = Column(Integer, primary_key=True)             # 0: none
    department_id = Column(Integer, primary_key=True)
    owner_id = Column(Integer, primary_key=True)
    amount = Column(MONEY, nullable=False, default=0)
    lines = Column(Integer, nullable=False, default=0)
