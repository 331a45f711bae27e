"""The products module's own screens beyond the generated lists and forms: the catalogue a
salesperson shows a customer, the product page's 360° view and comparison, and 智能推荐."""
from app.modules.products import catalogue_views, recommend_views, showcase_views


def register_views(appbuilder) -> None:
    catalogue_views.register_views(appbuilder)
    showcase_views.register_views(appbuilder)
    recommend_views.register_views(appbuilder)
