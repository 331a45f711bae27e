"""What other modules may use of the orders module: the order and its lines (an invoice bills them), and which
statuses may be invoiced."""
from app.modules.orders.models import CANCELLED, DRAFT, SalesOrder, SalesOrderLine

NOT_INVOICEABLE = (DRAFT, CANCELLED)

__all__ = ["NOT_INVOICEABLE", "SalesOrder", "SalesOrderLine"]
