"""发票核查: an invoice compared with its customer, its order or contract and its own arithmetic, every difference
named with both sides. Shown on the invoice (before it is sent) and for a range of invoices on demand."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from app.core.amounts import money
from app.extensions import db
from app.modules.contracts.api import ContractInstalment
from app.modules.customers.api import Customer
from app.modules.invoices.models import Invoice
from app.modules.invoices.service import invoiced_of_instalments, invoiced_of_order_lines
from app.modules.orders.api import SalesOrderLine

ZERO = Decimal(0)


def _amount(value) -> str:
    return f"¥{Decimal(value):,.2f}"


def differences(invoice: Invoice) -> list[str]:
    """What disagrees, in words (empty: the invoice checks out)."""
    found = []
    customer = db.session.get(Customer, invoice.customer_id)
    if customer is not None and not invoice.red:
        if (invoice.buyer_name or "").strip() != (customer.name or "").strip():
            found.append(_("Buyer %(invoice)s, but the customer is now called %(customer)s.",
                           invoice=invoice.buyer_name, customer=customer.name))
        if customer.tax_id and (invoice.buyer_tax_id or "") != customer.tax_id:
            found.append(_("Buyer's tax id %(invoice)s, but the customer's is %(customer)s.",
                           invoice=invoice.buyer_tax_id or "—", customer=customer.tax_id))
    amount = sum((line.amount for line in invoice.lines), ZERO)
    tax = sum((line.tax for line in invoice.lines), ZERO)
    if (amount, tax, amount + tax) != (invoice.amount, invoice.tax, invoice.total):
        found.append(_("The totals (%(amount)s + %(tax)s = %(total)s) are not the sums of the lines (%(lines)s).",
                       amount=_amount(invoice.amount), tax=_amount(invoice.tax), total=_amount(invoice.total),
                       lines=_amount(amount + tax)))
    for number, line in enumerate(invoice.lines, start=1):
        expected = money(line.amount * line.tax_rate / 100)
        if abs(expected - line.tax) > Decimal("0.01"):
            found.append(_("Line %(n)d: tax %(tax)s, but %(rate)s%% of %(amount)s is %(expected)s.", n=number,
                           tax=_amount(line.tax), rate=f"{line.tax_rate.normalize():f}", amount=_amount(line.amount),
                           expected=_amount(expected)))
        if line.order_line_id:
            ordered = db.session.get(SalesOrderLine, line.order_line_id)
            if ordered is not None:
                if Decimal(ordered.tax_rate) != Decimal(line.tax_rate):
                    found.append(_("Line %(n)d: tax rate %(invoice)s%%, but the order's is %(order)s%%.", n=number,
                                   invoice=f"{line.tax_rate.normalize():f}",
                                   order=f"{Decimal(ordered.tax_rate).normalize():f}"))
                quantity, billed, billed_tax = invoiced_of_order_lines([ordered.id]).get(ordered.id, (ZERO, ZERO, ZERO))
                if quantity > ordered.quantity or billed + billed_tax > ordered.total:
                    found.append(_("Line %(n)d: the order line is invoiced beyond what was ordered (%(billed)s of "
                                   "%(ordered)s).", n=number, billed=_amount(billed + billed_tax),
                                   ordered=_amount(ordered.total)))
        if line.instalment_id:
            instalment = db.session.get(ContractInstalment, line.instalment_id)
            billed = invoiced_of_instalments([line.instalment_id]).get(line.instalment_id, ZERO)
            if instalment is not None and billed > instalment.amount:
                found.append(_("Line %(n)d: the instalment is invoiced beyond its amount (%(billed)s of %(amount)s).",
                               n=number, billed=_amount(billed), amount=_amount(instalment.amount)))
    return found
