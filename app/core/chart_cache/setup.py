"""`run.py init`: build the chart aggregates the declarations ask for (idempotent)."""
from __future__ import annotations


def initialise() -> None:
    from app.core.chart_cache.maintain import ensure, fold

    ensure()
    fold()
