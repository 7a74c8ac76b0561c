"""The cart service: carts (guest and signed-in, merged on login), price and promotion preview."""
