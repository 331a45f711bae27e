"""ECharts option builders, fed by chart_rows(): kept totals on PostgreSQL (chart_cache), else
the SQL GROUP BY of datamodel.chart_rows()."""
from __future__ import annotations

from decimal import Decimal

from app.core.chart_cache import chart_rows as _kept_or_direct_rows


def chart_rows(datamodel, chart, filters=None) -> list[tuple]:
    """[(group key, value)] of `chart`: a custom field's groups (custom.<name> or cf_<name>) in
    SQL, others from kept totals or the SQL GROUP BY."""
    from app.core.custom_fields import listing as custom

    field = custom.field_named(getattr(datamodel, "spec", None), chart.group_by) \
        if chart.group_by.startswith((custom.PREFIX, "custom.")) else None
    if field is not None:
        return custom.chart_rows(datamodel, field, chart, filters)
    return _kept_or_direct_rows(datamodel, chart, filters)


def _number(value):
    return float(value) if isinstance(value, Decimal) else value


def echarts_option(chart, rows: list[tuple], label_of) -> dict:
    """An ECharts `option` for `chart` from [(key, value)] rows; `label_of(key)` names a key."""
    names = [label_of(k) for k, _ in rows]
    values = [_number(v) for _, v in rows]
    title = {"text": str(chart.title), "left": "center"}
    if chart.kind == "pie":
        return {
            "title": title,
            "tooltip": {"trigger": "item"},
            "legend": {"bottom": 0, "type": "scroll"},
            "series": [{
                "type": "pie",
                "radius": ["35%", "65%"],
                "data": [{"name": n, "value": v} for n, v in zip(names, values)],
            }],
        }
    return {
        "title": title,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 24, "bottom": 48, "containLabel": True},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 30 if len(names) > 8 else 0}},
        "yAxis": {"type": "value"},
        "series": [{"type": chart.kind, "data": values, "smooth": chart.kind == "line"}],
    }
