"""The inventory module, declared once: warehouses with zones and bins, stock levels and the stock moves
that change them, transfers (调拨单), stock counts (盘点单), safety stock lines and the analysis. The service (app.modules.inventory.service) is what
orders, purchasing and the warehouse call."""
from app.modules.inventory import models, service, stock_totals  # noqa: F401  (tables, the rule that moves never change)
from app.modules.inventory.planning_views import PLANNING_SPECS
from app.modules.inventory.stock_views import STOCK_SPECS
from app.modules.inventory.transfer_views import TRANSFER_SPECS
from app.modules.inventory.count_views import COUNT_SPECS

SPECS = [*STOCK_SPECS, *TRANSFER_SPECS, *COUNT_SPECS, *PLANNING_SPECS]
