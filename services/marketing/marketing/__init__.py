"""The marketing service: coupons, promotions, their statistics and the pricing centre."""
