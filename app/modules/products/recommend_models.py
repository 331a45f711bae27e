"""智能推荐's tables: product views (who looked at which product, and for which customer being served),
and the suggestions the nightly job keeps per product (常一起购买, 相似产品)."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Float, ForeignKey, Index, Integer, String

from app.core.clock import utcnow


class ProductView(Model):
    """A product page (or catalogue card) opened by a user, while serving a customer or not."""
    __tablename__ = "product_view"
    __table_args__ = (
        Index("ix_product_view_customer_viewed", "customer_id", "viewed_at"),
        Index("ix_product_view_user_viewed", "user_id", "viewed_at"),
        Index("ix_product_view_product", "product_id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"))
    viewed_at = Column(DateTime, nullable=False, default=utcnow)


class ProductSuggestion(Model):
    """One suggestion beside a product: another product, why (co_purchase / similar) and how strongly."""
    __tablename__ = "product_suggestion"
    __table_args__ = (
        Index("ix_product_suggestion_product_kind_rank", "product_id", "kind", "rank"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False)
    other_id = Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(16), nullable=False)
    rank = Column(Integer, nullable=False)
    score = Column(Float, nullable=False)
    computed_at = Column(DateTime, nullable=False, default=utcnow)
