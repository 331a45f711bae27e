"""The inventory module's own screens beyond the generated lists and forms: 库存操作, the product page's 库存 tab,
/api/v1/stock/ and 库存分析."""
from app.modules.inventory import count_views, planning_views, stock_views


def register_views(appbuilder) -> None:
    stock_views.register_views(appbuilder)
    count_views.register_views(appbuilder)
    planning_views.register_views(appbuilder)
