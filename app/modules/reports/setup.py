"""`run.py init`: the shipped dashboards (经营驾驶舱, sales, finance, warehouse, purchasing) the database does not have."""
from __future__ import annotations


def initialise() -> list[str]:
    from app.modules.reports.dashboards import ensure_shipped

    return ensure_shipped()
