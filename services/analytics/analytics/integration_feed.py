"""The middle-platform feed: each business event the feed follows becomes, per entity it
changes, one numbered record, written with the consumer's inbox row in one transaction.

A record carries the entity's whole state after the change (``analytics.feed_domain``)
and its ``sequence``: the entity row's counter plus one, written by a conditional UPDATE
of that row (so two transactions on one entity queue on the row, and numbers are
gap-free and never reused; a rolled-back transaction takes its number with it). The
record goes out through the outbox on its ``integration.*`` topic keyed by the entity id,
and to every partner webhook that wants its entity type (``analytics.webhooks``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from analytics import feed_domain as domain
from analytics import webhooks
from analytics.feed_models import IntegrationEntity, IntegrationRecord
from event_contracts.integration import (
    CONTENT_TYPE,
    SCHEMA_VERSION,
    TOPIC_OF,
    Change,
    EntityType,
    validate_record,
)
from service_runtime.db import insert_if_absent
from service_runtime.handlers import Event
from service_runtime.ids import utcnow
from service_runtime.outbox import Outbox

OUTBOX = Outbox("analytics")

# (entity type, entity id, change, new state from the old) for each entity an event changes.
Effect = tuple[EntityType, str, Change, Callable[[domain.State], domain.State]]


def _effects(event: Event) -> Iterator[Effect]:
    data = event.data
    match event.type:
        case "OrderPlaced":
            yield (EntityType.ORDER, data["order_id"], Change.ORDER_PLACED,
                   lambda s: domain.order_placed(s, data))
        case "PaymentConfirmed":
            yield (EntityType.ORDER, data["order_id"], Change.ORDER_PAID,
                   lambda s: domain.order_paid(s, data))
            yield (EntityType.PAYMENT, data["payment_id"], Change.PAYMENT_CONFIRMED,
                   lambda s: domain.payment(s, data, "confirmed", data["confirmed_at"]))
        case "PaymentFailed":
            yield (EntityType.PAYMENT, data["payment_id"], Change.PAYMENT_FAILED,
                   lambda s: domain.payment(s, data, "failed", data["failed_at"]))
        case "CashOnDeliveryChosen":
            yield (EntityType.PAYMENT, data["payment_id"], Change.CASH_ON_DELIVERY_CHOSEN,
                   lambda s: domain.payment(s, data, "cash_on_delivery", data["chosen_at"]))
        case "OrderCancelled":
            yield (EntityType.ORDER, data["order_id"], Change.ORDER_CANCELLED,
                   lambda s: domain.order_cancelled(s, data))
        case "OrderCompleted":
            yield (EntityType.ORDER, data["order_id"], Change.ORDER_COMPLETED,
                   lambda s: domain.order_completed(s, data))
        case "RefundIssued":
            yield (EntityType.REFUND, data["refund_id"], Change.REFUND_ISSUED,
                   lambda s: domain.refund_issued(s, data))
            yield (EntityType.ORDER, data["order_id"], Change.ORDER_REFUNDED,
                   lambda s: domain.order_refunded(s, data))
        case "ProductUpdated":
            for sku in data["skus"]:
                yield (EntityType.INVENTORY, sku["sku"], Change.STOCK_CHANGED,
                       lambda s, sku=sku: domain.stock_changed(s, data, sku))
        case "UserRegistered":
            yield (EntityType.MEMBER, data["user_id"], Change.MEMBER_REGISTERED,
                   lambda s: domain.member_registered(s, data))
        case "MembershipChanged":
            yield (EntityType.MEMBER, data["user_id"], Change.MEMBERSHIP_CHANGED,
                   lambda s: domain.membership_changed(s, data))


# The event types the feed follows (the analytics handlers pass each to ``record``).
FOLLOWED = ("OrderPlaced", "PaymentConfirmed", "PaymentFailed", "CashOnDeliveryChosen",
            "OrderCancelled", "OrderCompleted", "RefundIssued", "ProductUpdated",
            "UserRegistered", "MembershipChanged")


def record(session: Session, event: Event) -> list[dict[str, Any]]:
    """Record what ``event`` changed, one record per entity it changed; return them.

    Runs in the consumer's transaction (the inbox makes a redelivered event a no-op)."""
    return [made for effect in _effects(event)
            if (made := _record_one(session, event, *effect)) is not None]


def _record_one(session: Session, event: Event, entity_type: EntityType, entity_id: str,
                change: Change, apply: Callable[[domain.State], domain.State],
                ) -> dict[str, Any] | None:
    now = utcnow()
    key = (IntegrationEntity.entity_type == entity_type.value,
           IntegrationEntity.entity_id == entity_id)
    insert_if_absent(session, IntegrationEntity, entity_type=entity_type.value,
                     entity_id=entity_id, sequence=0, state={}, updated_at=now)
    current = session.execute(select(IntegrationEntity.sequence, IntegrationEntity.state)
                              .where(*key).with_for_update()).one()
    state = apply(dict(current.state))
    if state == current.state:
        return None  # nothing the feed shows changed: no record, no number used
    sequence = current.sequence + 1
    moved = session.execute(update(IntegrationEntity)
                            .where(*key, IntegrationEntity.sequence == current.sequence)
                            .values(sequence=sequence, state=state, updated_at=now)
                            .execution_options(synchronize_session=False)).rowcount
    if moved != 1:  # cannot happen under the row lock; never publish a reused number
        raise RuntimeError(f"{entity_type}/{entity_id} moved past {current.sequence}")
    made = {
        "schema_version": SCHEMA_VERSION,
        "entity_type": entity_type.value,
        "entity_id": entity_id,
        "sequence": sequence,
        "change": change.value,
        "source_event_id": event.id,
        "source_event_type": event.type,
        "occurred_at": domain.iso(event.occurred_at),
        "data": state,
    }
    validate_record(made)
    row = IntegrationRecord(entity_type=entity_type.value, entity_id=entity_id,
                            sequence=sequence, record=made, created_at=now)
    session.add(row)
    session.flush()
    OUTBOX.send(session, TOPIC_OF[entity_type].value, [(entity_id, made)],
                content_type=CONTENT_TYPE)
    webhooks.enqueue(session, row, now)
    return made
