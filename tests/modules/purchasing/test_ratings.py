"""供应商评分 from a known set of receipts and orders: on-time and rejection rates, the buyers' stars, the price
against other suppliers' quotes, the weighted score and grade; recomputed after each receipt and by the nightly
job in a real worker; the best-rated supplier first in 报价对比 when the buyer asks for it."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.clock import company_today
from app.core.errors import ValidationErrors
from app.core.jobs import queue
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.purchasing import order_service, quotes, ratings, receipts
from app.modules.purchasing.jobs import rate_suppliers
from app.modules.purchasing.models import Supplier
from app.modules.purchasing.order_models import PurchaseOrder, PurchaseOrderLine
from app.modules.purchasing.rating_models import SupplierRating
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401  (job_env is a fixture)
from tests.factories import make_user
from tests.modules.inventory.helpers import product, warehouse
from tests.modules.purchasing.helpers import quote, supplier


@pytest.fixture
def buyer(org):
    return make_user("Purchasing", org.company)


def _known_month(buyer):
    """Two lines of one placed order: A (10 at ¥21.00, due in 5 days) receives 8 and rejects 2 on time; B (5 at
    ¥9.00, due yesterday) receives 5 late. Another supplier quotes A at ¥20.00; nobody else quotes B. The buyer
    gives the delivery 4 stars for quality and 5 for service."""
    today = company_today()
    wh, a, b = warehouse(), product(), product()
    ours = supplier(buyer)
    quote(buyer, supplier(buyer), a, "20.00")
    order = order_service.create(buyer, PurchaseOrder(supplier_id=ours.id, warehouse_id=wh.id))
    line_a = order_service.save_line(buyer, PurchaseOrderLine(order_id=order.id, product_id=a.id, quantity="10",
                                                              unit_price="21.00",
                                                              delivery_date=today + dt.timedelta(days=5)))
    line_b = order_service.save_line(buyer, PurchaseOrderLine(order_id=order.id, product_id=b.id, quantity="5",
                                                              unit_price="9.00", delivery_date=today))
    with unit_of_work(None):
        db.session.get(PurchaseOrder, order.id).status = "ordered"
        db.session.get(PurchaseOrderLine, line_b.id).delivery_date = today - dt.timedelta(days=1)
    receipts.receive(buyer, order.id, {line_a.id: {"accepted": "8", "rejected": "2", "reason": "划伤"},
                                       line_b.id: {"accepted": "5"}}, quality="4", service="5")
    return ours


def test_a_month_is_scored_from_its_receipts_orders_and_stars(buyer):
    ours = _known_month(buyer)
    period = ratings.period_of(company_today())
    rating = db.session.scalars(select(SupplierRating).where(SupplierRating.supplier_id == ours.id,
                                                             SupplierRating.period == period)).one()
    assert (rating.receipt_lines, rating.received, rating.rejected) == (2, Decimal(15), Decimal(2))
    assert (rating.on_time_rate, rating.rejection_rate) == (Decimal("0.5000"), Decimal("0.1333"))
    # quality: 100 × 13/15 = 86.7, with 4 stars (80) → 83.35 → 83.4; delivery 50; price: 210 ÷ 200 = 1.05 → 70
    assert (rating.quality, rating.delivery, rating.price_index, rating.price, rating.service) == (
        Decimal("83.4"), Decimal("50.0"), Decimal("1.0500"), Decimal("70.0"), Decimal("100.0"))
    # (83.4 × 35 + 50 × 30 + 70 × 20 + 100 × 15) ÷ 100 = 73.19
    assert (rating.score, rating.grade) == (Decimal("73.2"), "C")
    db.session.expire_all()
    assert (db.session.get(Supplier, ours.id).score, db.session.get(Supplier, ours.id).grade) == (Decimal("73.2"),
                                                                                                "C")


@pytest.mark.parametrize("scores, expected", [
    ({"quality": Decimal(100), "delivery": Decimal(100), "price": None, "service": None}, Decimal("100.0")),
    ({"quality": Decimal(80), "delivery": Decimal(60), "price": None, "service": None}, Decimal("70.8")),
    ({"quality": None, "delivery": None, "price": None, "service": None}, None),
])
def test_missing_dimensions_leave_the_weights_of_the_others(app, scores, expected):
    with app.app_context():
        assert ratings.weighted(scores) == expected    # (80 × 35 + 60 × 30) ÷ 65 = 70.77


@pytest.mark.parametrize("index, score", [("1", "80.0"), ("0.9", "100.0"), ("0.8", "100.0"), ("1.1", "60.0"),
                                          ("1.5", "0.0")])
def test_the_price_score_follows_the_index(index, score):
    assert ratings.price_score(Decimal(index)) == Decimal(score)


@pytest.mark.parametrize("score, grade", [("90", "A"), ("89.9", "B"), ("75", "B"), ("60", "C"), ("59.9", "D")])
def test_grades(score, grade):
    assert ratings.grade_of(Decimal(score)) == grade


def test_stars_out_of_range_are_refused(buyer):
    from tests.modules.purchasing.test_receipts import placed_order

    order, line, _wh, _item = placed_order(buyer)
    with pytest.raises(ValidationErrors) as refused:
        receipts.receive(buyer, order.id, {line.id: {"accepted": "1"}}, quality="6")
    assert "quality_rating" in refused.value.errors
    db.session.rollback()
    assert db.session.get(PurchaseOrderLine, line.id).received == 0


def test_the_best_rated_supplier_first_when_asked(buyer):
    item = product()
    good, cheap = supplier(buyer), supplier(buyer)
    quote(buyer, good, item, "30.00")
    quote(buyer, cheap, item, "25.00")
    with unit_of_work(None):
        db.session.get(Supplier, good.id).score, db.session.get(Supplier, good.id).grade = Decimal("92.0"), "A"
        db.session.get(Supplier, cheap.id).score, db.session.get(Supplier, cheap.id).grade = Decimal("61.0"), "C"
    by_price = quotes.compare(None, item.id, Decimal(1), "cheapest")
    by_score = quotes.compare(None, item.id, Decimal(1), "score")
    assert by_price[0].quote.supplier_id == cheap.id and by_price[0].best
    assert by_score[0].quote.supplier_id == good.id and by_score[0].best and not by_score[1].best


def test_the_nightly_job_in_a_real_worker_rebuilds_lost_ratings(buyer, app, job_env):  # noqa: F811
    ours = _known_month(buyer)
    with unit_of_work(None):
        db.session.query(SupplierRating).filter(SupplierRating.supplier_id == ours.id).delete()
    queue(app.config).enqueue(rate_suppliers)
    run_worker_burst(job_env)
    db.session.expire_all()
    rating = db.session.scalars(select(SupplierRating).where(SupplierRating.supplier_id == ours.id)).one()
    assert (rating.period, rating.score, rating.grade) == (ratings.period_of(company_today()), Decimal("73.2"), "C")
