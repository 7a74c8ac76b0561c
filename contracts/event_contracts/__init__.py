"""Event contracts: the one definition of every event the platform exchanges.

Import ``contracts.registry`` to validate events; the event modules register their
schemas on import.
"""

from event_contracts.registry import (
    REGISTRY,
    ContractViolation,
    EventSchema,
    UnknownEvent,
    event_schema,
)

__all__ = ["REGISTRY", "ContractViolation", "EventSchema", "UnknownEvent", "event_schema"]
