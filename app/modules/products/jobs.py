"""The products module's scheduled jobs: the nightly recomputation of 智能推荐's suggestions."""
from __future__ import annotations

from app.core.jobs import in_app_context


@in_app_context
def recompute_suggestions() -> dict:
    """常一起购买 and 相似产品 per product, from the orders of the last two years and the catalogue.
    Idempotent: a second run writes the same suggestions."""
    from app.modules.products import recommend_service

    return recommend_service.recompute()


CRON = [
    lambda config: {"func": recompute_suggestions, "cron": config.get("RECOMMEND_CRON", "40 2 * * *"),
                    "name": "products.suggestions"},
]
