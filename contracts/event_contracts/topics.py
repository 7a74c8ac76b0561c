"""Topic names. A topic is named after the event type it carries (all versions of it)."""

import event_contracts.events  # noqa: F401  (registers every schema)
from event_contracts.registry import platform_schemas

PARTITIONS = 6


def event_topics() -> list[str]:
    """Every event topic of the platform."""
    return sorted({event_type for (event_type, _), _ in platform_schemas()})


def dead_letter_topic(consumer_group: str) -> str:
    """Where one consumer group parks the messages it could not handle."""
    return f"{consumer_group}.dead-letters"
