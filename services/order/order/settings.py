"""Everything the order service reads from its environment, read once when a process
starts (the API in ``order.app.create_app``, the worker as it builds its loops); use
cases get the values they need as parameters."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from service_runtime.config import Process, laptop_default, local_api_url
from service_runtime.settings import Environment, Settings, at_least, variable

# Checkout reads the buyer's cart and address book while the buyer waits. Unset, each is
# the service on this machine, at the port its definition names.
READ_SERVICES = {"cart_service_url": "cart", "user_service_url": "user"}
for _service in READ_SERVICES.values():
    laptop_default(f"{_service.upper()}_SERVICE_URL",
                   "http://127.0.0.1:<api_port of its ServiceDefinition>",
                   read_by=[("order", Process.API), ("order", Process.WORKER)])


@dataclass(frozen=True)
class OrderSettings(Settings):
    # How long an order may stay unpaid.
    payment_timeout_s: int = variable("ORDER_PAYMENT_TIMEOUT_S", 30 * 60, validate=at_least(1))
    # A delivered order completes itself after this.
    auto_complete_after_s: int = variable("ORDER_AUTO_COMPLETE_AFTER_S", 7 * 24 * 3600,
                                          validate=at_least(1))
    # How often the worker runs the timers.
    timer_interval_ms: int = variable("ORDER_TIMER_INTERVAL_MS", 1000, validate=at_least(1))
    # How often the worker counts the orders by status for its metrics (one GROUP BY and
    # the stuck-order counts: order.saga_stats).
    stats_interval_s: int = variable("ORDER_STATS_INTERVAL_S", 30, validate=at_least(1))
    # A pending order waits for the stock, coupon and points answers and PaymentDue, which
    # take seconds; pending longer than this it counts as stuck (orders_stuck).
    stuck_pending_after_s: int = variable("ORDER_STUCK_PENDING_AFTER_S", 300,
                                          validate=at_least(1))
    # Checkout's reads of the cart, the address book and the quote; a slow service fails the
    # checkout with a 503 rather than holding an API worker.
    read_timeout_ms: int = variable("ORDER_READ_TIMEOUT_MS", 2000, validate=at_least(1))
    cart_service_url: str = variable("CART_SERVICE_URL", "")
    user_service_url: str = variable("USER_SERVICE_URL", "")
    # Checkout prices through the marketing service's quote (the pricing centre); it is
    # not routed by the gateway. Slow or down, checkout is a 503 ``pricing-unavailable``.
    marketing_service_url: str = variable(
        "MARKETING_SERVICE_URL",
        laptop_default("MARKETING_SERVICE_URL", "http://127.0.0.1:8108",
                       read_by=[("order", Process.API)]))

    @classmethod
    def read(cls, environment: Environment) -> OrderSettings:
        settings = super().read(environment)
        urls = {}
        for field, service in READ_SERVICES.items():
            url = getattr(settings, field)
            if not url:
                try:
                    url = local_api_url(service)
                except ImportError:
                    environment.problem(f"{service.upper()}_SERVICE_URL",
                                        f"not set, and the {service} service is not "
                                        "installed here to take its port from")
            urls[field] = url.rstrip("/")
        urls["marketing_service_url"] = settings.marketing_service_url.rstrip("/")
        return dataclasses.replace(settings, **urls)
