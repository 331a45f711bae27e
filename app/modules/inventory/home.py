"""Home page panel: stock alerts (安全预警) — products whose available stock is below their warning line now."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.home import HomeItem, HomePanel
from app.core.home_parts import capped
from app.core.registry import registry
from app.extensions import db
from app.modules.inventory.models import Warehouse
from app.modules.inventory.planning_models import SafetyStock
from app.modules.products.api import Product


def _alerts():
    return select(SafetyStock.id).where(SafetyStock.alerted_at.isnot(None))


def _items(user, limit):
    view = registry.views["safety_stock"].__name__
    rows = db.session.execute(select(SafetyStock.id, Product.sku, Product.name, Warehouse.name, SafetyStock.warning_line)
                              .join(Product, Product.id == SafetyStock.product_id)
                              .join(Warehouse, Warehouse.id == SafetyStock.warehouse_id)
                              .where(SafetyStock.alerted_at.isnot(None))
                              .order_by(SafetyStock.alerted_at.desc(), SafetyStock.id).limit(limit))
    return [HomeItem(f"{sku} {name} · {warehouse}", url_for(f"{view}.show", pk=pk), f"≤ {line.normalize():f}", "danger")
            for pk, sku, name, warehouse, line in rows]


PANELS = [
    HomePanel(key="stock-alerts", title=_l("Stock alerts"), items=_items, permission=("can_read", "safety_stock"),
              count=lambda user: capped(_alerts()),
              more_url=lambda: url_for(f"{registry.views['safety_stock'].__name__}.list"),
              empty=_l("No stock is below its warning line."), icon="fa-exclamation-triangle", order=34),
]
