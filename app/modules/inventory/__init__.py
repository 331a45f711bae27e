"""The inventory module: warehouses with zones and bins, stock levels, stock moves and reservations."""
