"""Payment collection (回款管理): payments received from customers, registered once, allocated to their open
invoices oldest first (or as the clerk says), what is left kept as the customer's credit."""
