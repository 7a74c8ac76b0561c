"""The catalog service: categories, products and SKUs, inventory, search, recommendations."""
