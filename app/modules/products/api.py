"""What other modules may use of the products module: the product record (a contract's or an order's lines
name one) and the product category (a supplier supplies some). Everything else in this package is the module's
own."""
from app.modules.products.models import Product, ProductCategory

__all__ = ["Product", "ProductCategory"]
