"""Which service answers which public path."""

from __future__ import annotations

import re
from dataclasses import dataclass

from service_runtime.config import Process, laptop_default, local_api_url
from service_runtime.settings import Environment

# The services behind the gateway; <SERVICE>_SERVICE_URL is each one's base URL. On a
# laptop, where every service is installed beside the gateway, it defaults to the API
# port of the service's definition.
SERVICES = ("user", "catalog", "cart", "order", "payment", "logistics", "aftersales",
            "marketing", "analytics")
for _name in SERVICES:
    laptop_default(f"{_name.upper()}_SERVICE_URL",
                   "http://127.0.0.1:<api_port of its ServiceDefinition>",
                   read_by=[("gateway", Process.API)])

# First match wins, so more specific patterns come first.
ROUTES: list[tuple[str, str]] = [
    (r"/api/v1/orders/[^/]+/tracking", "logistics"),
    (r"/api/v1/products/[^/]+/reviews", "aftersales"),
    (r"/api/v1/users/me/coupons", "marketing"),
    (r"/api/v1/products/[^/]+/recommendations", "analytics"),
    (r"/api/v1/users/me/recommendations", "analytics"),
    (r"/api/v1/(auth|users)(/.*)?", "user"),
    (r"/api/v1/admin/users(/.*)?", "user"),
    (r"/api/v1/(categories|products|search)(/.*)?", "catalog"),
    (r"/api/v1/admin/(products|skus)(/.*)?", "catalog"),
    (r"/api/v1/cart(/.*)?", "cart"),
    (r"/api/v1/orders(/.*)?", "order"),
    (r"/api/v1/checkout/preview", "order"),
    (r"/api/v1/admin/orders(/.*)?", "order"),
    (r"/api/v1/(payments|wallet)(/.*)?", "payment"),
    (r"/api/v1/admin/reconciliation(/.*)?", "payment"),
    (r"/api/v1/logistics(/.*)?", "logistics"),
    (r"/api/v1/admin/shipments(/.*)?", "logistics"),
    (r"/api/v1/(returns|reviews|tickets)(/.*)?", "aftersales"),
    (r"/api/v1/admin/(returns|tickets)(/.*)?", "aftersales"),
    (r"/api/v1/(promotions|coupons)(/.*)?", "marketing"),
    # Starting or joining a group places an order: the order service answers.
    (r"/api/v1/group-buys/[^/]+/groups", "order"),
    (r"/api/v1/group-buys/groups/[^/]+/join", "order"),
    (r"/api/v1/(group-buys|flash-sales)(/.*)?", "marketing"),
    (r"/api/v1/admin/(coupons|promotions|marketing|group-buys|flash-sales)(/.*)?",
     "marketing"),
    (r"/api/v1/track", "analytics"),
    (r"/api/v1/admin/analytics(/.*)?", "analytics"),
    (r"/api/v1/admin/risk(/.*)?", "analytics"),
    (r"/api/v1/admin/exports(/.*)?", "analytics"),
]
_COMPILED = [(re.compile(pattern + r"\Z"), service) for pattern, service in ROUTES]


@dataclass(frozen=True)
class Upstreams:
    urls: dict[str, str]

    @classmethod
    def read(cls, environment: Environment) -> Upstreams:
        urls = {}
        for name in SERVICES:
            variable = f"{name.upper()}_SERVICE_URL"
            url = environment.value(str, variable, "")
            if not url:
                try:
                    url = local_api_url(name)
                except ImportError:
                    environment.problem(variable, f"not set, and the {name} service is not "
                                                  "installed here to take its port from")
            urls[name] = url.rstrip("/")
        return cls(urls)


def service_for(path: str) -> str | None:
    for pattern, service in _COMPILED:
        if pattern.match(path):
            return service
    return None
