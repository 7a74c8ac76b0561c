"""One module per producing service; importing this package registers every schema."""

from event_contracts.events import (
    aftersales,
    analytics,
    catalog,
    logistics,
    marketing,
    order,
    payment,
    user,
)

__all__ = [
    "aftersales",
    "analytics",
    "catalog",
    "logistics",
    "marketing",
    "order",
    "payment",
    "user",
]
