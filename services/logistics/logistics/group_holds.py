"""Group-buy (拼团) orders ship only once their group succeeded.

A paid group-buy order (``PaymentConfirmed`` with ``group_id``) gets its shipment
``held`` unless its group is known to have succeeded; ``GroupBuySucceeded`` makes the
held shipments of its orders ``ready`` and is remembered, so a payment heard after it
makes a ``ready`` shipment at once. Both take the group's row first (made if missing,
then ``SELECT ... FOR UPDATE``), so on PostgreSQL with two replicas one waits for the
other and reads what it wrote. A held shipment is never dispatched (only ``ready`` ones
ship); one whose order is cancelled (the group failed) is cancelled with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from logistics.domain import ORDER_ORIGIN, ShipmentStatus
from logistics.models import GroupBuy, Shipment
from logistics.shipments import DESCRIPTIONS, add_to_timeline
from service_runtime.ids import utcnow
from service_runtime.projections import Projection

GROUPS = Projection(GroupBuy, "group_id")


def _take_group(session: Session, group_id: str) -> GroupBuy:
    GROUPS.ensure(session, group_id)
    session.execute(select(GroupBuy.group_id).where(GroupBuy.group_id == group_id)
                    .with_for_update())
    group = session.get(GroupBuy, group_id, populate_existing=True)
    assert group is not None
    return group


def shipment_status_for(session: Session, group_id: str | None) -> ShipmentStatus:
    """``ready`` for an ordinary order or one whose group succeeded, else ``held``."""
    if group_id is None:
        return ShipmentStatus.READY
    group = _take_group(session, group_id)
    return ShipmentStatus.READY if group.succeeded_at is not None else ShipmentStatus.HELD


def group_succeeded(session: Session, group_id: str, order_ids: Sequence[str],
                    at: datetime) -> None:
    """``GroupBuySucceeded``: remember it; the held parcels of its orders are ready."""
    _take_group(session, group_id)
    GROUPS.learn(session, group_id, "succeeded_at", at)
    held = session.scalars(select(Shipment.id).where(
        Shipment.order_id.in_(list(order_ids)), Shipment.origin == ORDER_ORIGIN,
        Shipment.status == ShipmentStatus.HELD)).all()
    for shipment_id in held:
        released = session.execute(
            update(Shipment)
            .where(Shipment.id == shipment_id, Shipment.status == ShipmentStatus.HELD)
            .values(status=ShipmentStatus.READY, updated_at=utcnow())).rowcount
        if released == 1:
            add_to_timeline(session, shipment_id, ShipmentStatus.READY,
                            "Group buy succeeded; " + DESCRIPTIONS[ShipmentStatus.READY].lower(),
                            at)
