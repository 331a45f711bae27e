"""What other modules may use of the customers module: the customer record (to refer to one, as a
contract's customer does) and the services they may call. Everything else in this package is the
module's own; the layer check (.importlinter) refuses other modules' imports of it."""
from app.modules.customers.models import Customer
from app.modules.customers.service import department_for

__all__ = ["Customer", "department_for"]
