"""What other modules may use of the customers module: the customer and contact records (to refer to
one, as a contract's customer and contact do) and the services they may call. Everything else in this package is the
module's own; the layer check (.importlinter) refuses other modules' imports of it."""
from app.modules.customers.grading import record_amounts
from app.modules.customers.models import Contact, Customer
from app.modules.customers.service import create_contact, create_customer, department_for

__all__ = ["Contact", "Customer", "create_contact", "create_customer", "department_for", "record_amounts"]
