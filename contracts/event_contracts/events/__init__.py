"""One module per producing service; importing this package registers every schema."""

from event_contracts.events import aftersales, logistics, order, payment

__all__ = ["aftersales", "logistics", "order", "payment"]
