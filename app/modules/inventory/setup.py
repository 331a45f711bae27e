"""`run.py init`: the stock changes written since the last fold moved into the kept totals (PostgreSQL)."""
from __future__ import annotations


def initialise() -> int:
    from app.modules.inventory.stock_totals import fold

    return fold()
