"""The admin console at ``/admin/`` (admin role only): a client of the gateway's admin API.

The blueprint and what every page shares live in :mod:`shop_web.admin.base`; each part of
the console (catalog, fulfilment, after-sales, finance) adds its routes to it on import.
"""

from shop_web.admin import (  # noqa: F401
    aftersales,
    campaigns,
    catalog,
    finance,
    fulfilment,
    insights,
    marketing,
)
from shop_web.admin.base import pages

__all__ = ["pages"]
