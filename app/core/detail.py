"""What a generated detail page shows above its tabs: the header card (name, code, status or
lifecycle, owner, key figures) and the layout of its fields."""
from __future__ import annotations


def show_context(view, item) -> dict:
    """Extra template arguments for `item`'s show page (empty when there is no item)."""
    return {}
