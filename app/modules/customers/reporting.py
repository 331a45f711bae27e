"""客户 reports in the reports centre: the grade distribution (with the customers of each grade) and customers
grouped by what they are, declared for the generic engine."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.reports import Dimension, Measure, ReportSpec, from_pairs
from app.modules.customers.models import Customer, CustomerGrade

COUNT = Measure("customers", _l("Customers"))


def _grades(actor, params):
    from app.modules.customers import analysis

    pairs = analysis.rows("grade", actor, analysis.Filters(params.start, params.end))
    return from_pairs(pairs, analysis.labeller("grade"), _l("Grade"), COUNT, chart="bar",
                      note=str(_l("Customers added in the period, by their current grade.")))


def _grade_rows(params, key):
    from app.core.reports import period_conditions, Params

    graded = select(CustomerGrade.customer_id)
    graded = graded.where(CustomerGrade.grade.is_(None)) if key in ("", None) else graded.where(CustomerGrade.grade == str(key)[:8])
    match = Customer.id.in_(graded)
    if key in ("", None):
        match = Customer.id.notin_(select(CustomerGrade.customer_id).where(CustomerGrade.grade.isnot(None)))
    return [match, *period_conditions(Customer, "created_at", Params(params.start, params.end))]


REPORTS = [
    ReportSpec(name="customers.grades", title=_l("Customer grade distribution"), module="customers",
               keywords="等级 ABC 分级 客户分布", description=_l("How many customers each grade holds."),
               compute=_grades, drill=_grade_rows, page="/customer_analysis/", order=30),
    ReportSpec(name="customers.overview", title=_l("Customers by industry, source, region or owner"), module="customers",
               keywords="行业 来源 地区 新增客户", date_column="created_at", chart="pie",
               description=_l("Customers added in the period, grouped as you choose."),
               dimensions=(Dimension("industry", _l("Industry"), "industry"),
                           Dimension("source", _l("Source"), "source"),
                           Dimension("status", _l("Status"), "status"),
                           Dimension("owner", _l("Owner"), "owner_id"),
                           Dimension("department", _l("Department"), "department_id"),
                           Dimension("month", _l("Month added"), "created_at", period="month")),
               measures=(COUNT,), order=31),
]
