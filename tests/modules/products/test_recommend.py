"""智能推荐: the algorithm on known baskets (co-purchase by lift, similarity by category and parameters,
a customer's suggestions with their reasons), the nightly job in a real worker writing the suggestions
kept per product, views recorded per user and per customer served, the tabs on the product and
customer pages with their reasons, and who may see and do what."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.modules.products import recommend, recommend_service
from app.modules.products.models import Product, ProductCategory
from app.modules.products.recommend import Basket, ProductFacts
from app.modules.products.recommend_models import ProductSuggestion, ProductView
from tests.conftest import unique
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import make_user


def _b(key, customer, *items):
    return Basket(key, customer, frozenset(items))


def test_co_purchase_ranks_by_lift_and_ignores_pairs_seen_once():
    baskets = ([_b(i, 1, 1, 2) for i in range(6)]            # printer 1 with toner 2: six orders
               + [_b(10 + i, 2, 1, 3) for i in range(2)]     # printer 1 with paper 3: two
               + [_b(20, 3, 1, 4)]                            # once with a chair: noise
               + [_b(30 + i, 4, 3) for i in range(20)])       # paper alone, very often
    pairs = recommend.co_purchase(baskets)
    assert [s.product_id for s in pairs[1]] == [2, 3]
    assert all(s.reason == recommend.CO_PURCHASE for s in pairs[1])
    assert 4 not in {s.product_id for s in pairs[1]}
    assert pairs[2][0].product_id == 1


def test_similarity_weighs_category_parameters_brand_and_price():
    base = ProductFacts(1, 10, 1, "惠普", Decimal("2000"), {"颜色": "黑", "幅面": "A4"})
    twin = ProductFacts(2, 10, 1, "惠普", Decimal("2100"), {"颜色": "黑", "幅面": "A4"})
    cousin = ProductFacts(3, 11, 1, "佳能", Decimal("2000"), {"颜色": "白"})
    stranger = ProductFacts(4, 20, 2, "宜家", Decimal("300"), {})
    assert recommend.similarity(base, twin) > recommend.similarity(base, cousin) > recommend.similarity(base, stranger)
    ranked = recommend.similar_products([base, twin, cousin, stranger])
    assert [s.product_id for s in ranked[1]] == [2]               # the cousin is below the threshold
    assert ranked[4] == []


def test_a_customers_suggestions_say_why_and_popular_products_fill_up():
    pairs = {1: [recommend.Suggestion(2, 1.0, recommend.CO_PURCHASE, [1])]}
    similar = {5: [recommend.Suggestion(6, 0.9, recommend.SIMILAR, [5])]}
    popular = [recommend.Suggestion(p, 10.0 - p, recommend.POPULAR) for p in (7, 8, 9)]
    out = recommend.for_customer([1], [5], pairs, similar, popular, keep=5)
    reasons = {s.product_id: (s.reason, s.because) for s in out}
    assert reasons[2] == (recommend.BOUGHT_WITH_HISTORY, [1])
    assert reasons[6] == (recommend.VIEWED, [5])
    assert [s.product_id for s in out if s.reason == recommend.POPULAR] == [7, 8][:5 - len(out) + 2][:2]
    assert len(out) == 5
    assert recommend.hit_rate({1: [2, 3]}, {1: {3}, 2: {9}}, k=5) == 0.5


def test_the_benchmark_beats_the_most_popular_baseline():
    from bench import bench_recommend

    figures = bench_recommend.main(customers=800, products=300)
    assert figures["ours"] > 2 * figures["popular"] > 0


@pytest.fixture
def catalogue(ctx):
    printers = ProductCategory(code=unique("DY"), name=unique("打印机"))
    supplies = ProductCategory(code=unique("HC"), name=unique("耗材"))
    db.session.add_all([printers, supplies])
    db.session.flush()
    made = {}
    for key, name, category, brand, price in [("printer", "激光打印机", printers, "惠普", "1999"),
                                              ("printer2", "激光打印机 Pro", printers, "惠普", "2199"),
                                              ("toner", "硒鼓", supplies, "惠普", "399"),
                                              ("paper", "复印纸", supplies, "得力", "25")]:
        made[key] = Product(sku=unique("SKU"), name=unique(name), category_id=category.id, brand=brand,
                            list_price=Decimal(price), status="on_sale", params={"颜色": "黑"})
    db.session.add_all(made.values())
    db.session.commit()
    return made


@pytest.fixture
def orders(catalogue):
    """A basket source as the order module registers one: printer with toner on five orders."""
    customer_orders = []

    def source(since, customer_id):
        for key, customer, product_id in customer_orders:
            if customer_id is None or customer == customer_id:
                yield key, customer, product_id

    recommend_service.register_basket_source(source)
    yield customer_orders
    recommend_service._sources.remove(source)


def test_the_nightly_job_in_a_real_worker_keeps_suggestions_per_product(app, catalogue, orders, job_env):  # noqa: F811
    from app.core import jobs
    from app.modules.products.jobs import recompute_suggestions

    job = jobs.queue(app.config).enqueue(recompute_suggestions)
    run_worker_burst(job_env)
    job.refresh()
    assert job.is_finished, job.exc_info
    db.session.expire_all()
    kept = db.session.execute(select(ProductSuggestion.other_id, ProductSuggestion.kind).where(
        ProductSuggestion.product_id == catalogue["printer"].id)).all()
    assert (catalogue["printer2"].id, recommend.SIMILAR) in kept      # same category, brand, colour, price
    assert catalogue["paper"].id not in {other for other, _kind in kept}

    for n in range(5):                                                 # orders, as the order module reports them
        orders.extend([(f"SO-{n}", None, catalogue["printer"].id), (f"SO-{n}", None, catalogue["toner"].id)])
    first = recommend_service.recompute()
    kept = db.session.execute(select(ProductSuggestion.other_id, ProductSuggestion.kind).where(
        ProductSuggestion.product_id == catalogue["printer"].id)).all()
    assert (catalogue["toner"].id, recommend.CO_PURCHASE) in kept
    again = recommend_service.recompute()                              # a second run writes the same, no more
    assert again["co_purchase"] == first["co_purchase"]
    assert db.session.scalar(select(func.count()).select_from(ProductSuggestion).where(
        ProductSuggestion.product_id == catalogue["printer"].id)) == len(kept)


def test_views_are_recorded_for_the_customer_served_and_the_tabs_say_why(app, org, login, catalogue, orders):
    from tests.factories import make_customer

    customer = make_customer(org.east_rep, unique("远航"))
    for n in range(3):
        orders.extend([(f"A-{n}", None, catalogue["printer"].id), (f"A-{n}", None, catalogue["toner"].id)])
    recommend_service.recompute()

    rep = login(org.east_rep)
    page = rep.get(f"/products/show/{catalogue['printer'].id}/tab/recommend").get_data(as_text=True)
    assert catalogue["toner"].name in page and "常一起购买" in page
    assert catalogue["printer2"].name in page and "相似产品" in page

    assert rep.post(f"/products/recommend/serve/{customer.id}").status_code == 302
    assert rep.get(f"/products/show/{catalogue['printer'].id}").status_code == 200
    views = db.session.execute(select(ProductView.user_id, ProductView.customer_id).where(
        ProductView.product_id == catalogue["printer"].id)).all()
    assert views == [(org.east_rep.id, customer.id)]
    tab = rep.get(f"/customers/show/{customer.id}/tab/recommended").get_data(as_text=True)
    assert catalogue["toner"].name in tab and catalogue["printer2"].name in tab
    assert "为该客户浏览过" in tab and catalogue["printer"].name in tab
    assert rep.post("/products/recommend/stop").status_code == 302
    rep.get(f"/products/show/{catalogue['toner'].id}")
    assert db.session.execute(select(ProductView.customer_id).where(
        ProductView.product_id == catalogue["toner"].id)).scalars().all() == [None]

    # a customer out of the user's scope cannot be served; the tab needs the catalogue
    other_rep = login(org.south_rep)
    assert other_rep.post(f"/products/recommend/serve/{customer.id}").status_code == 404
    assert other_rep.get(f"/customers/show/{customer.id}/tab/recommended").status_code in (403, 404)
    assert rep.post("/products/recommend/recompute").status_code in (302, 403)
    assert login(make_user("Purchasing", org.company)).post("/products/recommend/recompute").status_code == 302
