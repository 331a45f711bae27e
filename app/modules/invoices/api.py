"""What other modules may use of the invoices module: the invoice (a payment settles invoices) and which
statuses are in force."""
from app.modules.invoices.models import ISSUED, Invoice

__all__ = ["ISSUED", "Invoice"]
