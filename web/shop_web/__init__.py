"""The storefront (``/``) and the admin console (``/admin/``): pages for people.

Both are clients of the gateway's public API and of nothing else: every figure on a
page comes from ``/api/v1`` with the shopper's own token and cart token, exactly as a
client app would ask for it (:mod:`shop_web.gateway_client`).
"""
