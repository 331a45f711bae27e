"""智能推荐: which products to suggest beside a product and to a customer, and why.

Three signals, each giving its reason:
- 常一起购买 (co-purchase): products on the same orders. A pair's score is its lift over chance
  (how much more often they are bought together than their popularity would make them), damped for
  pairs seen on few orders.
- 相似产品 (similar): same category (or a sibling), shared parameter values, the same brand, and a
  price close by — a weighted overlap.
- 浏览记录 (viewed): what the user looked at while serving the customer, and what the customer bought,
  lead to the products most often bought with them and most like them.

The functions below are pure (they take rows, return rankings) so the nightly job (recommend_jobs) and
the benchmark's offline evaluation (bench/bench_recommend.py: hit rate of the top 5 on a held-out month
of generated orders against a "most popular" baseline) run the same code.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable

CO_PURCHASE, SIMILAR, VIEWED, BOUGHT_WITH_HISTORY, POPULAR = (
    "co_purchase", "similar", "viewed", "history", "popular")
MIN_SUPPORT = 2          # a pair bought together on fewer orders is noise
PAIRS_PER_PRODUCT = 20   # what is kept per product and signal


@dataclass
class Basket:
    """One order: who bought (customer) and which products."""
    key: object
    customer_id: int | None
    products: frozenset


@dataclass(slots=True)
class Suggestion:
    product_id: int
    score: float
    reason: str                     # one of the signal names above
    because: list = field(default_factory=list)   # product ids the reason refers to


def co_purchase(baskets: Iterable[Basket], keep: int = PAIRS_PER_PRODUCT) -> dict[int, list[Suggestion]]:
    """product → the products most often on the same orders, by damped lift."""
    orders = 0
    single: Counter = Counter()
    pairs: Counter = Counter()
    for basket in baskets:
        items = sorted(basket.products)
        if not items:
            continue
        orders += 1
        single.update(items)
        if len(items) > 60:          # a stock-up order says little about what goes together
            continue
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                pairs[(a, b)] += 1
    ranked: dict[int, list[Suggestion]] = defaultdict(list)
    for (a, b), together in pairs.items():
        if together < MIN_SUPPORT:
            continue
        lift = together * orders / (single[a] * single[b])
        score = math.log1p(lift) * (together / (together + 5))     # few shared orders: less trust
        ranked[a].append(Suggestion(b, score, CO_PURCHASE, [a]))
        ranked[b].append(Suggestion(a, score, CO_PURCHASE, [b]))
    return {p: sorted(s, key=lambda x: (-x.score, x.product_id))[:keep] for p, s in ranked.items()}


@dataclass(slots=True)
class ProductFacts:
    id: int
    category_id: int | None
    parent_category_id: int | None
    brand: str | None
    price: Decimal | None
    params: dict


def _price_closeness(a: Decimal | None, b: Decimal | None) -> float:
    if not a or not b or a <= 0 or b <= 0:
        return 0.0
    ratio = float(min(a, b) / max(a, b))
    return ratio ** 2


def similarity(a: ProductFacts, b: ProductFacts) -> float:
    """0–1: how alike two products are for a buyer choosing between them."""
    if a.id == b.id:
        return 0.0
    if a.category_id is not None and a.category_id == b.category_id:
        category = 1.0
    elif a.parent_category_id is not None and a.parent_category_id == b.parent_category_id:
        category = 0.5
    else:
        category = 0.0
    pa = {(k, str(v)) for k, v in (a.params or {}).items() if v not in (None, "")}
    pb = {(k, str(v)) for k, v in (b.params or {}).items() if v not in (None, "")}
    params = len(pa & pb) / len(pa | pb) if pa | pb else 0.0
    brand = 1.0 if a.brand and a.brand == b.brand else 0.0
    return 0.45 * category + 0.3 * params + 0.1 * brand + 0.15 * _price_closeness(a.price, b.price)


def iter_similar(facts: list[ProductFacts], keep: int = PAIRS_PER_PRODUCT, threshold: float = 0.4,
                 full: int = 400, window: int = 100):
    """(product id, its most similar products), product by product. A small category family (same parent)
    is compared in full; in a large one each category on its own, and in a large category each product with
    its `window` neighbours by price on either side — so the work grows with the catalogue, not with its
    square, and nothing but the product at hand is held."""
    families: dict[object, list[ProductFacts]] = defaultdict(list)
    for fact in facts:
        families[fact.parent_category_id or fact.category_id or "none"].append(fact)
    groups: list[list[ProductFacts]] = []
    for members in families.values():
        if len(members) <= full:
            groups.append(members)
            continue
        by_category: dict[object, list[ProductFacts]] = defaultdict(list)
        for fact in members:
            by_category[fact.category_id].append(fact)
        groups.extend(by_category.values())
    for group in groups:
        if len(group) > full:
            group = sorted(group, key=lambda f: (f.price is None, f.price or 0, f.id))
        for index, a in enumerate(group):
            candidates = group if len(group) <= full else group[max(0, index - window):index + window + 1]
            scores = []
            for b in candidates:
                score = similarity(a, b)
                if score >= threshold:
                    scores.append(Suggestion(b.id, score, SIMILAR, [a.id]))
            scores.sort(key=lambda x: (-x.score, x.product_id))
            yield a.id, scores[:keep]


def similar_products(facts: list[ProductFacts], **options) -> dict[int, list[Suggestion]]:
    """product → the most similar products (iter_similar, gathered)."""
    return dict(iter_similar(facts, **options))


def popular(baskets: Iterable[Basket], keep: int = 50) -> list[Suggestion]:
    """The products on most orders: the baseline, and the fallback for a customer with no history."""
    counts: Counter = Counter()
    for basket in baskets:
        counts.update(basket.products)
    return [Suggestion(p, float(n), POPULAR) for p, n in counts.most_common(keep)]


def for_customer(bought: Iterable[int], viewed: Iterable[int], pairs: dict[int, list[Suggestion]],
                 similar: dict[int, list[Suggestion]], fallback: list[Suggestion], keep: int = 10,
                 exclude_bought: bool = False) -> list[Suggestion]:
    """A customer's suggestions: products often bought with what they bought, products like what was
    viewed for them (and like what they bought), then the most popular. Each keeps the reason of its
    strongest signal and the products it comes from."""
    bought = list(dict.fromkeys(bought))
    viewed = list(dict.fromkeys(viewed))
    seen = set(bought) if exclude_bought else set()
    totals: dict[int, float] = defaultdict(float)
    best: dict[int, Suggestion] = {}

    def add(suggestion: Suggestion, weight: float, reason: str, source: int):
        pid = suggestion.product_id
        if pid in seen:
            return
        value = suggestion.score * weight
        totals[pid] += value
        current = best.get(pid)
        if current is None or value > current.score:
            best[pid] = Suggestion(pid, value, reason, [source])
        elif current.reason == reason and source not in current.because:
            current.because.append(source)

    recency = {pid: 1.0 / (1 + i * 0.1) for i, pid in enumerate(reversed(bought))}
    for pid in bought:
        for s in pairs.get(pid, []):
            add(s, 1.0 * recency[pid], BOUGHT_WITH_HISTORY, pid)
        for s in similar.get(pid, [])[:5]:
            add(s, 0.5 * recency[pid], SIMILAR, pid)
    for rank, pid in enumerate(viewed[:20]):
        weight = 1.2 / (1 + rank * 0.2)
        for s in similar.get(pid, []):
            add(s, weight, VIEWED, pid)
        for s in pairs.get(pid, [])[:5]:
            add(s, weight * 0.6, VIEWED, pid)
        if pid not in seen and pid not in bought:
            add(Suggestion(pid, 0.8, VIEWED), weight, VIEWED, pid)
    out = sorted((Suggestion(pid, totals[pid], best[pid].reason, best[pid].because) for pid in totals),
                 key=lambda x: (-x.score, x.product_id))[:keep]
    if len(out) < keep:
        have = {s.product_id for s in out} | seen
        top = max((s.score for s in fallback), default=1.0) or 1.0
        for s in fallback:
            if s.product_id not in have:
                out.append(Suggestion(s.product_id, 0.01 * s.score / top, POPULAR))
                have.add(s.product_id)
            if len(out) >= keep:
                break
    return out


def hit_rate(recommended: dict[int, list[int]], held_out: dict[int, set[int]], k: int = 5) -> float:
    """Share of customers (with a held-out purchase) for whom one of their top-k was bought in the held-out
    period."""
    customers = [c for c in held_out if held_out[c]]
    if not customers:
        return 0.0
    hits = sum(1 for c in customers if set(recommended.get(c, [])[:k]) & held_out[c])
    return hits / len(customers)
