"""What other modules may use of the products module: the product record (a contract's or an order's lines
name one). Everything else in this package is the module's own."""
from app.modules.products.models import Product

__all__ = ["Product"]
