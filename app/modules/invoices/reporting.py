"""发票 reports in the reports centre: the invoice summary, and the numbering report (a page of its own)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.reports import MONEY, Dimension, Measure, ReportSpec

REPORTS = [
    ReportSpec(name="invoices.summary", title=_l("Invoice summary"), module="invoices", keywords="开票 税额 发票汇总",
               description=_l("Invoices issued in the period: how many, amount, tax and total (red-letter ones negative)."),
               date_column="issue_date",
               dimensions=(Dimension("month", _l("Month issued"), "issue_date", period="month"),
                           Dimension("kind", _l("Invoice type"), "kind"),
                           Dimension("status", _l("Status"), "status"),
                           Dimension("customer", _l("Customer"), "customer_id"),
                           Dimension("owner", _l("Owner"), "owner_id"),
                           Dimension("department", _l("Department"), "department_id")),
               measures=(Measure("total", _l("Total with tax"), "sum:total", MONEY),
                         Measure("invoices", _l("Invoices")),
                         Measure("amount", _l("Amount before tax"), "sum:amount", MONEY),
                         Measure("tax", _l("Tax"), "sum:tax", MONEY)), order=50),
    ReportSpec(name="invoices.numbers", title=_l("Invoice numbering report"), module="invoices",
               keywords="号码 断号 作废 红冲", page="/invoices_numbers/",
               description=_l("Every number of a series in a period: issued, voided, reversed, and the gaps."), order=51),
]
