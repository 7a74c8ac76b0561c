"""One module per producing service; importing this package registers every schema."""

from event_contracts.events import aftersales, catalog, logistics, marketing, order, payment, user

__all__ = ["aftersales", "catalog", "logistics", "marketing", "order", "payment", "user"]
