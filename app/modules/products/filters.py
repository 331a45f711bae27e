"""List filters of the catalogue beyond the generated ones."""
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l

from app.modules.products.models import Product


def _first(value) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return str(value or "").strip()


class FilterInCategoryTree(BaseFilter):
    """Products of a category or of any of its sub-categories (value: the category's id)."""

    name = _l("In category (with sub-categories)")
    arg_name = "in_tree"

    def apply(self, query, value):
        from app.modules.products.service import descendants

        text = _first(value)
        if not text.isdigit():
            return query.filter(Product.id.is_(None))
        return query.filter(Product.category_id.in_(descendants(int(text))))
