"""What other modules may use of the invoices module: the invoice (a payment settles invoices), which statuses
are in force, and a hook for when an invoice leaves force (voided or reversed)."""
from app.modules.invoices.models import ISSUED, Invoice
from app.modules.invoices.service import when_out_of_force

__all__ = ["ISSUED", "Invoice", "when_out_of_force"]
