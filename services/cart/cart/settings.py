"""Everything the cart service reads from its environment, read once when a process
starts (the API in ``cart.app.create_app``); use cases get what they need as parameters."""

from __future__ import annotations

from dataclasses import dataclass

from service_runtime.config import Process, laptop_default
from service_runtime.settings import Settings, at_least, variable

# GET /cart prices the cart through the marketing service's quote while the shopper
# waits. Unset, the marketing service on this machine (its definition's api_port).
MARKETING_SERVICE_URL = laptop_default("MARKETING_SERVICE_URL", "http://127.0.0.1:8108",
                                       read_by=[("cart", Process.API)])


@dataclass(frozen=True)
class CartSettings(Settings):
    marketing_service_url: str = variable("MARKETING_SERVICE_URL", MARKETING_SERVICE_URL)
    # The quote is asked while the shopper waits: past this the cart answers without it
    # (``pricing: null``, the cart's own totals) rather than hold an API worker.
    marketing_timeout_ms: int = variable("CART_MARKETING_TIMEOUT_MS", 800,
                                         validate=at_least(1))
    # Keep-alive connections to the marketing service, per API process.
    marketing_pool_size: int = variable("CART_MARKETING_POOL_SIZE", 16, validate=at_least(1))
