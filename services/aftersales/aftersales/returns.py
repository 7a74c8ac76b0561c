"""Return, refund and exchange requests: a buyer asks, an admin decides, the goods come back.

A new request first touches its order's row (``UPDATE orders``): on PostgreSQL that row
lock queues concurrent requests for one order, and SQLite serialises writers anyway, so
the "not requested already" quantities checked next hold for what is written. Admin
transitions are conditional updates on the request's status, so two admins acting at
once change it (and emit its event) once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from aftersales.domain import (
    InvalidReturnTransition,
    ReturnNotFound,
    ReturnStatus,
    TimelineStep,
    approve_from,
    check_return_request,
    receive_transition,
    reject_from,
)
from aftersales.models import ReturnLine, ReturnRequest
from aftersales.orders import own_order
from aftersales.timeline import add_step
from service_runtime.db import Database
from service_runtime.idempotency import IdempotencyKey, create_once, idempotency_columns
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.lines import quantities_by_sku
from service_runtime.money import money_json
from service_runtime.outbox import Outbox
from service_runtime.paging import Page, page_of

outbox = Outbox("aftersales")


def _requested_quantities(session: Session, order_id: str) -> dict[str, int]:
    """Per SKU, what requests of the order that were not rejected ask for."""
    rows = session.execute(
        select(ReturnLine.sku, func.sum(ReturnLine.quantity))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnRequest.order_id == order_id,
               ReturnRequest.status != ReturnStatus.REJECTED.value)
        .group_by(ReturnLine.sku))
    return {sku: int(quantity) for sku, quantity in rows}


def request_return(db: Database, user_id: str, order_id: str, return_type: str,
                   lines: Iterable[tuple[str, int]], reason: str,
                   key: IdempotencyKey | None, window: timedelta) -> tuple[ReturnRequest, bool]:
    """A buyer's request, within ``window`` of delivery; (the request, True) or, for a
    repeated ``Idempotency-Key``, (the request made the first time, False)."""
    requested = quantities_by_sku(lines)

    def create() -> ReturnRequest:
        with db.transaction() as session:
            order = own_order(session, user_id, order_id, lock=True)
            at = now()
            refund = check_return_request(order, return_type, requested,
                                          _requested_quantities(session, order_id), at,
                                          window)
            row = ReturnRequest(
                id=time_ordered_id("ret"), order_id=order_id, user_id=user_id,
                type=return_type, status=ReturnStatus.REQUESTED.value, reason=reason,
                refund_amount=refund, currency=order.currency, refunded_amount=0,
                **idempotency_columns(key), created_at=at, updated_at=at)
            session.add(row)
            session.flush()  # a concurrent request with the same key fails here
            session.add_all(ReturnLine(return_id=row.id, sku=sku, quantity=quantity)
                            for sku, quantity in requested.items())
            add_step(session, row.id, ReturnStatus.REQUESTED.value, at, reason)
            outbox.emit(session, "ReturnRequested", key=order_id, data={
                "return_id": row.id, "order_id": order_id, "user_id": user_id,
                "type": return_type,
                "lines": [{"sku": sku, "quantity": q} for sku, q in requested.items()],
                "reason": reason, "requested_at": at.isoformat(),
                "refund": money_json(refund, order.currency),
            })
            return row

    row, created = create_once(db, ReturnRequest, user_id, key, create)
    with db.read() as session:
        return _with_progress(session, [row.id])[0], created


def get_return(db: Database, return_id: str, user_id: str | None = None) -> ReturnRequest:
    """One request with its progress; ``user_id`` limits it to that buyer's (else 404)."""
    with db.read() as session:
        row = session.get(ReturnRequest, return_id)
        if row is None or (user_id is not None and row.user_id != user_id):
            raise ReturnNotFound(f"no return request {return_id}")
        return _with_progress(session, [return_id])[0]


def list_returns(db: Database, limit: int, cursor: str | None, user_id: str | None = None,
                 status: str | None = None,
                 order_id: str | None = None) -> Page[ReturnRequest]:
    """Requests newest first (ids are time-ordered), ``limit`` at a time after ``cursor``;
    a buyer's own (``user_id``) or, for admins, all (optionally of one ``status``, buyer or
    ``order_id``)."""
    with db.read() as session:
        query = select(ReturnRequest.id)
        if user_id is not None:
            query = query.where(ReturnRequest.user_id == user_id)
        if status is not None:
            query = query.where(ReturnRequest.status == status)
        if order_id is not None:
            query = query.where(ReturnRequest.order_id == order_id)
        if cursor:
            query = query.where(ReturnRequest.id < cursor)
        page = page_of(
            list(session.scalars(query.order_by(ReturnRequest.id.desc()).limit(limit + 1))),
            limit, cursor_of=str)
        return Page(_with_progress(session, page.items), page.next_cursor)


def _with_progress(session: Session, ids: Sequence[str]) -> list[ReturnRequest]:
    """The requests of ``ids``, in that order, with their lines and timeline loaded."""
    if not ids:
        return []
    rows = {r.id: r for r in session.scalars(
        select(ReturnRequest).where(ReturnRequest.id.in_(ids))
        .options(selectinload(ReturnRequest.lines), selectinload(ReturnRequest.timeline))
        .execution_options(populate_existing=True))}
    return [rows[i] for i in ids]


def _transition(session: Session, return_id: str, allowed: tuple[str, ...], target: str,
                action: str, **values: Any) -> ReturnRequest:
    """Move a request from one of ``allowed`` to ``target`` with one conditional update;
    anything else (including a concurrent admin who was first) is a 409 problem."""
    changed = 0
    if allowed:
        changed = session.execute(
            update(ReturnRequest)
            .where(ReturnRequest.id == return_id, ReturnRequest.status.in_(allowed))
            .values(status=target, updated_at=now(), **values)
            .execution_options(synchronize_session=False)
        ).rowcount
    row = session.get(ReturnRequest, return_id, populate_existing=True)
    if row is None:
        raise ReturnNotFound(f"no return request {return_id}")
    if changed != 1:
        raise InvalidReturnTransition(f"a {row.type} request that is {row.status} cannot be "
                                      f"{action}", return_status=row.status,
                                      return_type=row.type)
    return row


def _type_of(session: Session, return_id: str) -> str:
    """A request's type (never changes, so reading it first races with nothing)."""
    return_type = session.scalar(select(ReturnRequest.type).where(ReturnRequest.id == return_id))
    if return_type is None:
        raise ReturnNotFound(f"no return request {return_id}")
    return return_type


def _event_lines(session: Session, return_id: str) -> list[dict]:
    return [{"sku": sku, "quantity": quantity} for sku, quantity in session.execute(
        select(ReturnLine.sku, ReturnLine.quantity).where(ReturnLine.return_id == return_id)
        .order_by(ReturnLine.sku))]


def approve_return(db: Database, return_id: str) -> ReturnRequest:
    """Admin: accept a request. ``refund_only`` is refunded by the payment service now;
    a return or an exchange waits for the goods."""
    with db.transaction() as session:
        at = now()
        row = _transition(session, return_id, approve_from(), ReturnStatus.APPROVED.value,
                          "approved")
        add_step(session, return_id, ReturnStatus.APPROVED.value, at)
        outbox.emit(session, "ReturnApproved", key=row.order_id, data={
            "return_id": row.id, "order_id": row.order_id, "user_id": row.user_id,
            "type": row.type, "lines": _event_lines(session, row.id),
            "refund": money_json(row.refund_amount, row.currency), "approved_at": at.isoformat(),
        })
        return _with_progress(session, [return_id])[0]


def reject_return(db: Database, return_id: str, reason: str) -> ReturnRequest:
    """Admin: refuse a request; its quantities may be requested again."""
    with db.transaction() as session:
        at = now()
        row = _transition(session, return_id, reject_from(_type_of(session, return_id)),
                          ReturnStatus.REJECTED.value, "rejected", reject_reason=reason)
        add_step(session, return_id, ReturnStatus.REJECTED.value, at, reason)
        outbox.emit(session, "ReturnRejected", key=row.order_id, data={
            "return_id": row.id, "order_id": row.order_id, "user_id": row.user_id,
            "reason": reason, "rejected_at": at.isoformat(),
        })
        return _with_progress(session, [return_id])[0]


def receive_return(db: Database, return_id: str) -> ReturnRequest:
    """Admin: the goods of an approved return or exchange arrived. The payment service
    refunds a return (and the catalog restocks it); logistics ships an exchange's
    replacement, which settles the exchange."""
    with db.transaction() as session:
        at = now()
        allowed, target = receive_transition(_type_of(session, return_id))
        row = _transition(session, return_id, allowed, target, "received")
        add_step(session, return_id, TimelineStep.GOODS_RECEIVED, at)
        if target == ReturnStatus.EXCHANGED:
            add_step(session, return_id, ReturnStatus.EXCHANGED.value, at,
                     "a replacement is being shipped")
        outbox.emit(session, "ReturnReceived", key=row.order_id, data={
            "return_id": row.id, "order_id": row.order_id, "user_id": row.user_id,
            "type": row.type, "lines": _event_lines(session, row.id),
            "refund": money_json(row.refund_amount, row.currency), "received_at": at.isoformat(),
        })
        return _with_progress(session, [return_id])[0]
