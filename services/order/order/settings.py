"""Everything the order service reads from its environment, read once at start-up.

The API builds its settings in ``order.app.create_app`` and the worker in
``order.timers.order_timers``; use cases get the values they need as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from service_runtime.config import Process, env_int, env_str, laptop_default


@dataclass(frozen=True)
class OrderSettings:
    # ``ORDER_PAYMENT_TIMEOUT_S``: how long an order may stay unpaid.
    payment_timeout_s: int = 30 * 60
    # ``ORDER_AUTO_COMPLETE_AFTER_S``: a delivered order completes itself after this.
    auto_complete_after_s: int = 7 * 24 * 3600
    # ``ORDER_TIMER_INTERVAL_MS``: how often the worker runs the timers.
    timer_interval_ms: int = 1000
    # ``ORDER_READ_TIMEOUT_MS``: checkout's reads of the cart and the address book; a slow
    # service fails the checkout with a 503 rather than holding an API worker.
    read_timeout_ms: int = 2000
    # Checkout reads the buyer's cart and address book while the buyer waits.
    cart_service_url: str = laptop_default("CART_SERVICE_URL", "http://127.0.0.1:8103",
                                           read_by=[("order", Process.API)])
    user_service_url: str = laptop_default("USER_SERVICE_URL", "http://127.0.0.1:8101",
                                           read_by=[("order", Process.API)])

    @classmethod
    def from_env(cls) -> OrderSettings:
        return cls(
            payment_timeout_s=env_int("ORDER_PAYMENT_TIMEOUT_S", cls.payment_timeout_s),
            auto_complete_after_s=env_int("ORDER_AUTO_COMPLETE_AFTER_S",
                                          cls.auto_complete_after_s),
            timer_interval_ms=env_int("ORDER_TIMER_INTERVAL_MS", cls.timer_interval_ms),
            read_timeout_ms=env_int("ORDER_READ_TIMEOUT_MS", cls.read_timeout_ms),
            cart_service_url=env_str("CART_SERVICE_URL", cls.cart_service_url),
            user_service_url=env_str("USER_SERVICE_URL", cls.user_service_url),
        )
