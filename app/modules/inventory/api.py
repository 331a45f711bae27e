"""What other modules may use of the inventory module: the warehouse record (an order ships from one, a purchase
order is received into one), the stock service that moves goods (receive, ship, reserve …) and the reorder
suggestions that purchasing turns into purchase orders."""
from app.modules.inventory import service as stock
from app.modules.inventory.analysis import reorder_suggestions
from app.modules.inventory.models import Warehouse, WarehouseBin

__all__ = ["Warehouse", "WarehouseBin", "reorder_suggestions", "stock"]
