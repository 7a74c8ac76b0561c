"""How every use case changes an order: one conditional UPDATE, checked by its row count.

Every status change is an ``UPDATE ... WHERE status = :expected``, so a timer and an
event handler (or two handlers) can never both move the same order: the loser either
retries on fresh state (handlers: the consumer retries the event) or skips the order
(timers).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, inspect, update
from sqlalchemy.orm import Session, object_session

from order import metrics
from order.domain import OrderChanged, OrderStatus, check_transition, note
from order.models import Order, OrderTimelineEntry


def add_timeline_note(order: Order, status: str, text: str, at: datetime) -> None:
    entry = OrderTimelineEntry(status=status, note=note(text), at=at)
    if "timeline" in inspect(order).unloaded:
        # An event handler's order: write the entry without reading the others first.
        entry.order_id = order.id
        object_session(order).add(entry)  # type: ignore[union-attr]
    else:  # an answer will show the timeline: keep the loaded one whole
        order.timeline.append(entry)


def move_if_unchanged(session: Session, order: Order, path: Sequence[OrderStatus],
                      notes: Sequence[str], at: datetime, *,
                      where: Sequence[ColumnElement[bool]] = (),
                      expected: str | None = None, **values: object) -> bool:
    """Move ``order`` along ``path`` with one conditional UPDATE; False if it lost a race
    (its status is no longer ``expected``, by default the one read, or ``where`` fails).

    One timeline entry per step (``notes`` pairs with ``path``; the last note repeats).
    """
    expected = expected or order.status
    previous = OrderStatus(expected)
    for step in path:
        check_transition(previous, step)
        previous = step
    changed = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == expected, *where)
        .values(status=path[-1], updated_at=at, **values)
    ).rowcount
    if changed != 1:
        return False
    for i, step in enumerate(path):
        add_timeline_note(order, step, notes[min(i, len(notes) - 1)], at)
    # Every status change passes here, once (the UPDATE above is conditional): the saga's
    # stage timings, counted when the transaction commits.
    metrics.stages_reached(session, order, path, at)
    return True


def move_or_retry(session: Session, order: Order, path: Sequence[OrderStatus],
                  notes: Sequence[str], at: datetime, **values: object) -> None:
    """For event handlers: a lost race raises ``OrderChanged``, which rolls the event
    back; the consumer retries it on fresh state. An empty ``path`` changes nothing."""
    if path and not move_if_unchanged(session, order, path, notes, at, **values):
        raise OrderChanged(f"order {order.id} changed concurrently; retrying")


def record_facts_or_retry(session: Session, order: Order, *where: ColumnElement[bool],
                          **values: object) -> None:
    """Store facts (``values``) on an order whose status must not have changed since it
    was read (nor ``where`` fail); otherwise ``OrderChanged``, as in :func:`move_or_retry`."""
    changed = session.execute(
        update(Order).where(Order.id == order.id, Order.status == order.status, *where)
        .values(**values)
    ).rowcount
    if changed != 1:
        raise OrderChanged(f"order {order.id} changed concurrently; retrying")
