"""The products module, declared once: the catalogue's screens, API, charts, exports and
permissions — products, the category tree with its parameters, and price lists."""
from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.panels import register_record_rule
from app.core.references import register_alternatives
from app.core.spec import READ, ActionSpec, ChartSpec, ModuleSpec
from app.modules.products import recommend_models, service, showcase_views  # noqa: F401  (智能推荐's tables)
from app.modules.products.filters import FilterInCategoryTree
from app.modules.products.parameter_form import ParametersField
from app.modules.products.models import (DISCONTINUED, CategoryParameter, PriceList, PriceListItem, Product,
                                         ProductCategory)

PRODUCTS = lazy_pgettext("menu", "Products")

register_alternatives(Product, service.alternatives_to_deleting)
register_record_rule("products", "retire", lambda actor, product: product.status != DISCONTINUED)

PRODUCT_LABELS = {
    "sku": _l("SKU"), "name": _l("Product name"), "brand": _l("Brand"), "model": _l("Model"),
    "unit": _l("Unit"), "barcode": _l("Barcode"), "tax_rate": _l("Tax rate (%)"), "list_price": _l("List price"),
    "cost": _l("Cost"), "status": _l("Status"), "category": _l("Product category"),
    "category_id": _l("Product category"), "category.name": _l("Product category"), "params": _l("Parameters"),
    "description": _l("Description"), "main_image_id": _l("Main image"),
    "created_at": _l("Created at"), "updated_at": _l("Updated at"),
}
PRODUCT_FORM = ["sku", "name", "category", "params", "brand", "model", "unit", "barcode", "tax_rate", "list_price",
                "cost", "status", "description"]
CATEGORY_LABELS = {"code": _l("Category code"), "name": _l("Category name"), "parent": _l("Parent category"),
                   "parent_id": _l("Parent category"), "sort_order": _l("Sort order"), "path": _l("Category path")}
PARAMETER_LABELS = {"category": _l("Product category"), "category_id": _l("Product category"),
                    "name": _l("Parameter name"), "kind": _l("Parameter kind"), "unit": _l("Unit"),
                    "choices": _l("Choices"), "required": _l("Required"), "key": _l("Shown on cards"),
                    "sort_order": _l("Sort order")}
PRICE_LIST_LABELS = {"name": _l("Price list name"), "notes": _l("Notes")}
PRICE_LABELS = {"price_list": _l("Price list"), "price_list_id": _l("Price list"), "product": _l("Product"),
                "product_id": _l("Product"), "price": _l("Price"), "valid_from": _l("Valid from"),
                "valid_to": _l("Valid to"), "price_list.name": _l("Price list")}



def category_name(category_id) -> str:
    """A category id named by its path (the products-by-category chart)."""
    from app.extensions import db

    category = db.session.get(ProductCategory, category_id) if category_id else None
    return category.path() if category is not None else str(category_id or "")


SPECS = [
    ModuleSpec(
        name="products",
        model=Product,
        label=_l("Product"),
        label_plural=_l("Products"),
        category=PRODUCTS,
        category_key="products",
        category_icon="fa-cubes",
        icon="fa-cube",
        label_columns=PRODUCT_LABELS,
        list_columns=["sku", "name", "brand", "model", "category", "list_price", "status"],
        show_fieldsets=[
            (_l("Basic information"), {"fields": ["sku", "name", "category", "brand", "model", "unit", "barcode",
                                                  "status"]}),
            (_l("Prices"), {"fields": ["list_price", "cost", "tax_rate"]}),
            (_l("Description"), {"fields": ["description", "created_at", "updated_at"], "expanded": False}),
        ],
        form_fieldsets=[
            (_l("Basic information"), {"fields": ["sku", "name", "category", "brand", "model", "unit", "barcode",
                                                  "status"]}),
            (_l("Parameters"), {"fields": ["params"]}),
            (_l("Prices"), {"fields": ["list_price", "cost", "tax_rate"]}),
            (_l("Description"), {"fields": ["description"]}),
        ],
        form_fields={"params": ParametersField(_l("Category parameters"))},
        add_columns=PRODUCT_FORM,
        edit_columns=PRODUCT_FORM,
        search_columns=["sku", "name", "brand", "model", "barcode", "category", "status", "list_price",
                        "created_at"],
        search_filters={"category": [FilterInCategoryTree]},
        order_columns=["sku", "name", "brand", "model", "list_price", "status", "created_at"],
        text_search_columns=["sku", "name", "brand", "model", "barcode"],
        # Cost is left out: the catalogue's export (产品目录 → 导出) has it for those who may read it.
        export_columns=["sku", "name", "category.name", "brand", "model", "unit", "barcode", "tax_rate",
                        "list_price", "status", "description", "created_at"],
        api_columns=["id", "sku", "name", "category_id", "category.name", "brand", "model", "unit", "barcode",
                     "tax_rate", "list_price", "cost", "status", "params", "main_image_id", "description",
                     "created_at", "updated_at"],
        api_write_columns=["sku", "name", "category_id", "brand", "model", "unit", "barcode", "tax_rate",
                           "list_price", "cost", "status", "params", "description"],
        description_columns={"list_price": _l("In yuan, two decimals."),
                             "tax_rate": _l("A percentage, e.g. 13 for 13%.")},
        status_tones={"draft": "default", "on_sale": "success", "discontinued": "warning"},
        title_column="name",
        code_column="sku",
        status_column="status",
        key_figures=["list_price", "brand", "category"],
        card_columns=["sku", "category", "list_price", "status"],
        global_search=["sku", "name", "barcode"],
        charts=[
            ChartSpec(name="by_category", title=_l("Products by category"), group_by="category_id", kind="bar"),
            ChartSpec(name="by_status", title=_l("Products by status"), group_by="status", kind="pie"),
        ],
        actions=[
            ActionSpec(name="retire", label=_l("Discontinue"), handler=service.retire,
                       confirmation=_l("Discontinue the selected products?"), icon="fa-ban"),
            ActionSpec(name="compare", label=showcase_views.COMPARE_LABEL, handler=showcase_views.add_to_comparison,
                       permission=READ, icon="fa-columns", main=False),
        ],
        formatters={"category_id": category_name},
        related=["price_list_items"],
        service=service.products,
    ),
    ModuleSpec(
        name="product_categories",
        model=ProductCategory,
        label=_l("Product category"),
        label_plural=_l("Product categories"),
        category=PRODUCTS,
        category_key="products",
        category_icon="fa-cubes",
        icon="fa-sitemap",
        label_columns=CATEGORY_LABELS,
        list_columns=["code", "name", "path", "sort_order"],
        show_fieldsets=[(_l("Product category"), {"fields": ["code", "name", "parent", "path", "sort_order"]})],
        add_columns=["code", "name", "parent", "sort_order"],
        edit_columns=["code", "name", "parent", "sort_order"],
        search_columns=["code", "name", "parent"],
        order_columns=["code", "name", "sort_order"],
        base_order=("sort_order", "asc"),
        export_columns=["code", "name", "parent.name", "sort_order"],
        api_columns=["id", "code", "name", "parent_id", "sort_order"],
        api_write_columns=["code", "name", "parent_id", "sort_order"],
        title_column="name",
        code_column="code",
        related=["category_parameters"],
        service=service.product_categories,
    ),
    ModuleSpec(
        name="category_parameters",
        model=CategoryParameter,
        label=_l("Category parameter"),
        label_plural=_l("Category parameters"),
        category=PRODUCTS,
        category_key="products",
        permission_name="product_categories",
        show_in_menu=False,
        label_columns=PARAMETER_LABELS,
        list_columns=["category", "name", "kind", "unit", "choices", "required", "key", "sort_order"],
        show_fieldsets=[(_l("Category parameter"), {"fields": ["category", "name", "kind", "unit", "choices",
                                                               "required", "key", "sort_order"]})],
        add_columns=["category", "name", "kind", "unit", "choices", "required", "key", "sort_order"],
        edit_columns=["category", "name", "kind", "unit", "choices", "required", "key", "sort_order"],
        search_columns=["category", "name", "kind"],
        order_columns=["name", "sort_order"],
        base_order=("sort_order", "asc"),
        api_columns=["id", "category_id", "name", "kind", "unit", "choices", "required", "key", "sort_order"],
        api_write_columns=["category_id", "name", "kind", "unit", "choices", "required", "key", "sort_order"],
        title_column="name",
        service=service.category_parameters,
    ),
    ModuleSpec(
        name="price_lists",
        model=PriceList,
        label=_l("Price list"),
        label_plural=_l("Price lists"),
        category=PRODUCTS,
        category_key="products",
        category_icon="fa-cubes",
        icon="fa-tags",
        label_columns=PRICE_LIST_LABELS,
        list_columns=["name", "notes"],
        show_fieldsets=[(_l("Price list"), {"fields": ["name", "notes"]})],
        add_columns=["name", "notes"],
        edit_columns=["name", "notes"],
        search_columns=["name"],
        order_columns=["name"],
        export_columns=["name", "notes"],
        api_columns=["id", "name", "notes"],
        api_write_columns=["name", "notes"],
        title_column="name",
        related=["price_list_items"],
        service=service.price_lists,
    ),
    ModuleSpec(
        name="price_list_items",
        model=PriceListItem,
        label=_l("Price"),
        label_plural=_l("Prices"),
        category=PRODUCTS,
        category_key="products",
        permission_name="price_lists",
        show_in_menu=False,
        label_columns=PRICE_LABELS,
        list_columns=["price_list", "product", "price", "valid_from", "valid_to"],
        show_fieldsets=[(_l("Price"), {"fields": ["price_list", "product", "price", "valid_from", "valid_to"]})],
        add_columns=["price_list", "product", "price", "valid_from", "valid_to"],
        edit_columns=["price_list", "product", "price", "valid_from", "valid_to"],
        search_columns=["price_list", "price", "valid_from", "valid_to"],
        order_columns=["price", "valid_from", "valid_to"],
        export_columns=["price_list.name", "price", "valid_from", "valid_to"],
        api_columns=["id", "price_list_id", "product_id", "price", "valid_from", "valid_to"],
        api_write_columns=["price_list_id", "product_id", "price", "valid_from", "valid_to"],
        service=service.price_list_items,
    ),
]
