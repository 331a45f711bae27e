"""The demo orders: customers buy products that go together, most orders move on, and 智能推荐 learns from
them."""
from sqlalchemy import func, select

from app.extensions import db
from app.modules.inventory import seed as stock_seed
from app.modules.orders import seed
from app.modules.orders.models import SalesOrder
from app.modules.products.recommend_models import ProductSuggestion
from tests.factories import make_customer


def test_demo_orders_move_on_and_feed_the_recommendations(org):
    for _ in range(5):
        make_customer(org.east_rep)
    stock_seed.load_demo(org.admin, {})
    summary = seed.load_demo(org.admin, {})
    assert summary == "60 orders"
    statuses = dict(db.session.execute(select(SalesOrder.status, func.count()).group_by(SalesOrder.status)).all())
    assert statuses.get("completed", 0) > 0 and statuses.get("shipped", 0) + statuses.get("confirmed", 0) > 0
    assert db.session.scalar(select(func.count()).select_from(ProductSuggestion).where(
        ProductSuggestion.kind == "co_purchase")) > 0
    assert seed.load_demo(org.admin, {}) == "0 orders"
