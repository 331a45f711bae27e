"""How good 智能推荐 is, measured offline: generated orders over 13 months, the recommender
(app/modules/products/recommend.py, the code the nightly job runs) trained on the first 12, and the hit
rate of each customer's top 5 on the 13th (held out) — beside a "most popular" baseline and the time
and memory the computation took.

    python -m bench.bench_recommend                     # 20,000 customers, 5,000 products
    python -m bench.bench_recommend --customers 2000 --products 800    # what CI runs
    DATABASE_URL=postgresql://…/zwt_bench_inv python -m bench.bench_recommend --job
        # the nightly job (recompute_suggestions) over a seeded database: time and peak RSS

The generated shop: product families (办公设备, 耗材, 家具 ...) of categories with typed parameters and
brands; every product has a few accessories in other categories (a printer and its toner); each
customer prefers a family and a brand, buys main products mostly from them, adds accessories often and
re-orders what they bought before. In the held-out month a customer first browses their next purchase's
category (views recorded while a salesperson serves them), then buys.
"""
from __future__ import annotations

import argparse
import random
import resource
import time
from collections import defaultdict
from decimal import Decimal

from app.modules.products import recommend
from app.modules.products.recommend import Basket, ProductFacts

HIT_K = 5


def generate(customers: int, products: int, seed: int = 5):
    rng = random.Random(seed)
    families, per_family = 8, 6
    categories = [(f, c) for f in range(families) for c in range(per_family)]
    brands = [f"品牌{i}" for i in range(12)]
    facts, by_category = [], defaultdict(list)
    for pid in range(1, products + 1):
        family, cat = categories[rng.randrange(len(categories))]
        category_id = family * 100 + cat + 1
        params = {"颜色": rng.choice(["黑", "白", "灰"]), "规格": rng.choice(["A", "B", "C", "D"]),
                  "等级": rng.choice(["经济", "标准", "高端"])}
        price = Decimal(int(rng.lognormvariate(6, 1)) + 10)
        fact = ProductFacts(pid, category_id, family + 1000, rng.choice(brands), price, params)
        facts.append(fact)
        by_category[category_id].append(fact)
    # popularity within a category follows a power law; accessories live in another category
    weight = {f.id: 1.0 / (1 + rank) ** 0.9 for members in by_category.values()
              for rank, f in enumerate(members)}
    accessories = {}
    for fact in facts:
        other = rng.choice([c for c in by_category if c != fact.category_id])
        pool = by_category[other]
        accessories[fact.id] = [p.id for p in rng.sample(pool, min(3, len(pool)))]
    cats_of_family = defaultdict(list)
    for c in by_category:
        cats_of_family[c // 100].append(c)

    def pick(category_id, brand):
        members = by_category[category_id]
        weights = [weight[m.id] * (3.0 if m.brand == brand else 1.0) for m in members]
        return rng.choices(members, weights=weights)[0]

    baskets, held, views = [], defaultdict(set), defaultdict(list)
    order_key = 0
    for customer in range(1, customers + 1):
        family = rng.randrange(families)
        brand = rng.choice(brands)
        liked = rng.sample(cats_of_family[family], min(3, len(cats_of_family[family])))
        history = []
        for month in range(13):
            for _ in range(rng.choices([0, 1, 2], weights=[0.45, 0.4, 0.15])[0]):
                items = set()
                if history and rng.random() < 0.35:
                    items.add(rng.choice(history))                       # a re-order
                else:
                    category = rng.choice(liked) if rng.random() < 0.8 else rng.choice(list(by_category))
                    main = pick(category, brand)
                    if month == 12:                                       # browsing before buying
                        views[customer].extend(m.id for m in rng.sample(
                            by_category[main.category_id], min(3, len(by_category[main.category_id]))))
                    items.add(main.id)
                    for accessory in accessories[main.id]:
                        if rng.random() < 0.5:
                            items.add(accessory)
                order_key += 1
                if month == 12:
                    held[customer] |= items
                else:
                    baskets.append(Basket(order_key, customer, frozenset(items)))
                    history.extend(items)
    return facts, baskets, held, views


def main(customers: int, products: int) -> dict:
    t0 = time.perf_counter()
    facts, baskets, held, views = generate(customers, products)
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    pairs = recommend.co_purchase(baskets)
    similar = recommend.similar_products(facts)
    fallback = recommend.popular(baskets)
    trained = time.perf_counter() - t0
    bought = defaultdict(list)
    for basket in baskets:
        bought[basket.customer_id].extend(sorted(basket.products))
    t0 = time.perf_counter()
    ours, history_only = {}, {}
    for customer in held:
        ours[customer] = [s.product_id for s in recommend.for_customer(
            bought[customer], reversed(views.get(customer, [])), pairs, similar, fallback, keep=HIT_K)]
        history_only[customer] = [s.product_id for s in recommend.for_customer(
            bought[customer], [], pairs, similar, fallback, keep=HIT_K)]
    scored = time.perf_counter() - t0
    baseline = {c: [s.product_id for s in fallback[:HIT_K]] for c in held}
    figures = {
        "ours": recommend.hit_rate(ours, held, HIT_K),
        "history_only": recommend.hit_rate(history_only, held, HIT_K),
        "popular": recommend.hit_rate(baseline, held, HIT_K),
    }
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"generated {customers:,} customers, {products:,} products, {len(baskets):,} orders in 12 months "
          f"+ {sum(1 for c in held if held[c]):,} customers buying in the held-out month ({generated:.1f} s)")
    print(f"trained (co-purchase pairs of {len(pairs):,} products, similar of {len(similar):,}) in {trained:.1f} s; "
          f"scored {len(held):,} customers in {scored:.1f} s; peak RSS {rss:.0f} MB")
    print(f"hit rate of the top {HIT_K} on the held-out month: ours {figures['ours']:.1%} "
          f"(history only, no views: {figures['history_only']:.1%}) vs most popular {figures['popular']:.1%} "
          f"(target: better than the baseline)")
    return figures


def job() -> None:
    """The nightly job as the worker runs it, over the database of DATABASE_URL."""
    from app import create_app
    from app.extensions import db
    from app.modules.products import recommend_service
    from bench.common import load

    app = create_app()
    with app.app_context():
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        result = recommend_service.recompute()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        db.session.remove()
    print(f"nightly suggestions job: {result['orders']:,} orders, co-purchase for {result['co_purchase']:,} products, "
          f"similar for {result['similar']:,}: {seconds:.1f} s (target < 300 s); RSS {base:.0f} MB with the app, "
          f"peak {peak:.0f} MB (target < 500 MB); load {load()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--products", type=int, default=5_000)
    parser.add_argument("--job", action="store_true", help="time the nightly job over DATABASE_URL's database")
    args = parser.parse_args()
    if args.job:
        job()
    else:
        main(args.customers, args.products)
