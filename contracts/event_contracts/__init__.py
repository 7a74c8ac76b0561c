"""Event contracts: the one definition of every event the platform exchanges.

Importing the package registers every event schema (``event_contracts.events``), so
``REGISTRY`` knows them all wherever it is used.
"""

from event_contracts import events
from event_contracts.registry import (
    REGISTRY,
    ContractViolation,
    EventSchema,
    UnknownEvent,
    event_schema,
)

__all__ = ["REGISTRY", "ContractViolation", "EventSchema", "UnknownEvent", "event_schema",
           "events"]
