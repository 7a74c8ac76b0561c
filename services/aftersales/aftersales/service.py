"""After-sales use cases: one function per command, one transaction each.

The order projection (``orders``, ``order_lines``) is written only by the event
handlers below; returns and reviews check against it. Events of different topics arrive
in any order, so every handler upserts what it learns and moves an order's status only
forward (``domain.statuses_before``) with conditional updates.

A new return request first touches its order's row (``UPDATE orders``): on PostgreSQL
that row lock queues concurrent requests for one order, and SQLite serialises writers
anyway, so the "not requested already" quantities checked next hold for what is written.
Admin transitions are conditional updates on the request's status, so two admins acting
at once change it (and emit its event) once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.domain import (
    REFUNDABLE_FROM,
    AlreadyReviewed,
    BoughtLine,
    InvalidReturnTransition,
    OrderFacts,
    OrderNotFound,
    OrderStatus,
    ReturnNotFound,
    ReturnStatus,
    TicketNotFound,
    TicketStatus,
    approve_from,
    check_return_request,
    check_reviewable,
    mask_user,
    merge_lines,
    rating_summary,
    receive_transition,
    reject_from,
    return_window,
    status_after_message,
    statuses_before,
)
from aftersales.models import (
    OrderLine,
    OrderView,
    ReturnLine,
    ReturnRequest,
    ReturnStep,
    Review,
    Ticket,
    TicketMessage,
)
from service_runtime.db import Database, insert_if_absent
from service_runtime.idempotency import IdempotencyKey, create_once, idempotency_columns
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox

log = logging.getLogger(__name__)
outbox = Outbox("aftersales")


def _money(amount: int, currency: str) -> dict:
    return {"amount": amount, "currency": currency}


def _page(rows: list, limit: int,
          cursor_of: Callable[[Any], str] = attrgetter("id")) -> tuple[list, str | None]:
    """``limit + 1`` rows were read: the page and the cursor of the next one (or None)."""
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (cursor_of(rows[-1]) if more else None)


# -- the order projection (event handlers; the consumer's session, never committed here)


def _ensure_order(session: Session, order_id: str, user_id: str | None = None) -> None:
    """The order's row exists afterwards (created ``pending`` if this is its first event)."""
    inserted = insert_if_absent(session, OrderView, order_id=order_id, user_id=user_id,
                                status=OrderStatus.PENDING.value, refunded_amount=0,
                                updated_at=now())
    if not inserted and user_id is not None:
        session.execute(update(OrderView)
                        .where(OrderView.order_id == order_id, OrderView.user_id.is_(None))
                        .values(user_id=user_id))


def _advance(session: Session, order_id: str, status: OrderStatus) -> bool:
    """Move the order to ``status`` unless it is there or further already."""
    return session.execute(
        update(OrderView)
        .where(OrderView.order_id == order_id, OrderView.status.in_(statuses_before(status)))
        .values(status=status.value, updated_at=now())
    ).rowcount == 1


def record_order_placed(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderPlaced``: the buyer, the lines and prices; once (a row with ``placed_at``
    set has its lines already)."""
    order_id = data["order_id"]
    _ensure_order(session, order_id, data["user_id"])
    placed = session.execute(
        update(OrderView)
        .where(OrderView.order_id == order_id, OrderView.placed_at.is_(None))
        .values(placed_at=data["placed_at"], currency=data["total"]["currency"],
                updated_at=now())
    ).rowcount
    if placed != 1:
        return
    session.execute(insert(OrderLine), [
        {"order_id": order_id, "line_no": number, "sku": line["sku"],
         "product_id": line.get("product_id"), "quantity": line["quantity"],
         "unit_amount": line["unit_price"]["amount"]}
        for number, line in enumerate(data["lines"], start=1)
    ])


def record_paid(session: Session, data: Mapping[str, Any]) -> None:
    """``PaymentConfirmed``."""
    _ensure_order(session, data["order_id"], data["user_id"])
    _advance(session, data["order_id"], OrderStatus.PAID)


def record_shipped(session: Session, data: Mapping[str, Any]) -> None:
    """``Shipped``: the order is on its way; a replacement shipment (``return_id`` set)
    only shows on its exchange request's timeline."""
    if data.get("return_id"):
        _step_once(session, data["return_id"], "replacement_shipped", data["shipped_at"],
                   f"{data['carrier']} {data['tracking_number']}")
        return
    _ensure_order(session, data["order_id"])
    _advance(session, data["order_id"], OrderStatus.SHIPPED)


def record_delivered(session: Session, data: Mapping[str, Any]) -> None:
    """``Delivered``: the return window starts at ``delivered_at``."""
    if data.get("return_id"):
        _step_once(session, data["return_id"], "replacement_delivered", data["delivered_at"])
        return
    order_id = data["order_id"]
    _ensure_order(session, order_id)
    session.execute(update(OrderView)
                    .where(OrderView.order_id == order_id, OrderView.delivered_at.is_(None))
                    .values(delivered_at=data["delivered_at"]))
    _advance(session, order_id, OrderStatus.DELIVERED)


def record_completed(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderCompleted``."""
    order_id = data["order_id"]
    _ensure_order(session, order_id, data["user_id"])
    session.execute(update(OrderView)
                    .where(OrderView.order_id == order_id, OrderView.completed_at.is_(None))
                    .values(completed_at=data["completed_at"]))
    _advance(session, order_id, OrderStatus.COMPLETED)


def record_cancelled(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderCancelled``: no returns or reviews any more."""
    _ensure_order(session, data["order_id"], data["user_id"])
    _advance(session, data["order_id"], OrderStatus.CANCELLED)


def record_refund(session: Session, data: Mapping[str, Any]) -> None:
    """``RefundIssued``: the order's refunded total (only ever grows), and the request it
    settles, if any, becomes ``refunded``."""
    order_id = data["order_id"]
    _ensure_order(session, order_id, data["user_id"])
    total = data["refunded_total"]["amount"]
    session.execute(update(OrderView)
                    .where(OrderView.order_id == order_id, OrderView.refunded_amount < total)
                    .values(refunded_amount=total))
    return_id = data.get("return_id")
    if not return_id:
        return
    at = data["issued_at"]
    settled = session.execute(
        update(ReturnRequest)
        .where(ReturnRequest.id == return_id, ReturnRequest.status.in_(REFUNDABLE_FROM))
        .values(status=ReturnStatus.REFUNDED.value,
                refunded_amount=ReturnRequest.refunded_amount + data["amount"]["amount"],
                updated_at=now())
    ).rowcount
    if settled != 1:
        log.warning("refund for a request that is unknown or not awaiting a refund",
                    extra={"return_id": return_id, "refund_id": data["refund_id"]})
        return
    _add_step(session, return_id, ReturnStatus.REFUNDED.value, at,
              f"{data['amount']['amount']} {data['amount']['currency']} "
              f"to {data['destination']}")


# -- returns ------------------------------------------------------------------------


def _facts(session: Session, order: OrderView) -> OrderFacts:
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.order_id)
                            .order_by(OrderLine.line_no))
    return OrderFacts(
        order_id=order.order_id, user_id=order.user_id or "", status=order.status,
        currency=order.currency or "CNY",
        lines=tuple(BoughtLine(line.sku, line.quantity, line.unit_amount, line.product_id)
                    for line in lines),
        delivered_at=order.delivered_at, completed_at=order.completed_at)


def _own_order(session: Session, user_id: str, order_id: str, lock: bool = False) -> OrderFacts:
    """The caller's order as placed (someone else's, or one not known yet, is a 404).

    With ``lock`` the order's row is touched first, queueing concurrent requests on it.
    """
    mine = (OrderView.order_id == order_id, OrderView.user_id == user_id,
            OrderView.placed_at.is_not(None))
    if lock:
        session.execute(update(OrderView).where(*mine).values(updated_at=now())
                        .execution_options(synchronize_session=False))
    order = session.scalar(select(OrderView).where(*mine)
                           .execution_options(populate_existing=True))
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    return _facts(session, order)


def _requested_quantities(session: Session, order_id: str) -> dict[str, int]:
    """Per SKU, what requests of the order that were not rejected ask for."""
    rows = session.execute(
        select(ReturnLine.sku, func.sum(ReturnLine.quantity))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnRequest.order_id == order_id,
               ReturnRequest.status != ReturnStatus.REJECTED.value)
        .group_by(ReturnLine.sku))
    return {sku: int(quantity) for sku, quantity in rows}


def _add_step(session: Session, return_id: str, step: str, at: datetime,
              note: str | None = None) -> None:
    session.execute(insert(ReturnStep).values(return_id=return_id, step=step, at=at,
                                              note=note[:1000] if note else None))


def _step_once(session: Session, return_id: str, step: str, at: datetime,
               note: str | None = None) -> None:
    """A timeline entry from an event, once; an unknown request is logged and skipped."""
    if session.get(ReturnRequest, return_id) is None:
        log.warning("event for an unknown return request", extra={"return_id": return_id,
                                                                 "step": step})
        return
    seen = session.scalar(select(ReturnStep.id).where(ReturnStep.return_id == return_id,
                                                      ReturnStep.step == step))
    if seen is None:
        _add_step(session, return_id, step, at, note)


def request_return(db: Database, user_id: str, order_id: str, return_type: str,
                   lines: Iterable[tuple[str, int]], reason: str,
                   key: IdempotencyKey | None) -> tuple[dict, bool]:
    """A buyer's request; (the request, True) or, for a repeated ``Idempotency-Key``,
    (the request made the first time, False)."""
    requested = merge_lines(lines)

    def create() -> ReturnRequest:
        with db.transaction() as session:
            order = _own_order(session, user_id, order_id, lock=True)
            at = now()
            refund = check_return_request(order, return_type, requested,
                                          _requested_quantities(session, order_id), at,
                                          return_window())
            row = ReturnRequest(
                id=time_ordered_id("ret"), order_id=order_id, user_id=user_id,
                type=return_type, status=ReturnStatus.REQUESTED.value, reason=reason,
                refund_amount=refund, currency=order.currency, refunded_amount=0,
                **idempotency_columns(key), created_at=at, updated_at=at)
            session.add(row)
            session.flush()  # a concurrent request with the same key fails here
            session.add_all(ReturnLine(return_id=row.id, sku=sku, quantity=quantity)
                            for sku, quantity in requested.items())
            _add_step(session, row.id, ReturnStatus.REQUESTED.value, at, reason)
            outbox.emit(session, "ReturnRequested", key=order_id, data={
                "return_id": row.id, "order_id": order_id, "user_id": user_id,
                "type": return_type,
                "lines": [{"sku": sku, "quantity": q} for sku, q in requested.items()],
                "reason": reason, "requested_at": at.isoformat(),
                "refund": _money(refund, order.currency),
            })
            return row

    row, created = create_once(db, ReturnRequest, user_id, key, create)
    with db.read() as session:
        return _return_views(session, [row.id])[0], created


def get_return(db: Database, return_id: str, user_id: str | None = None) -> dict:
    """One request with its progress; ``user_id`` limits it to that buyer's (else 404)."""
    with db.read() as session:
        row = session.get(ReturnRequest, return_id)
        if row is None or (user_id is not None and row.user_id != user_id):
            raise ReturnNotFound(f"no return request {return_id}")
        return _return_views(session, [return_id])[0]


def list_returns(db: Database, limit: int, cursor: str | None, user_id: str | None = None,
                 status: str | None = None) -> dict:
    """Requests newest first (ids are time-ordered), ``limit`` at a time after ``cursor``;
    a buyer's own (``user_id``) or, for admins, all (optionally of one ``status``)."""
    with db.read() as session:
        query = select(ReturnRequest.id)
        if user_id is not None:
            query = query.where(ReturnRequest.user_id == user_id)
        if status is not None:
            query = query.where(ReturnRequest.status == status)
        if cursor:
            query = query.where(ReturnRequest.id < cursor)
        ids, next_cursor = _page(
            list(session.scalars(query.order_by(ReturnRequest.id.desc()).limit(limit + 1))),
            limit, cursor_of=str)
        return {"items": _return_views(session, ids), "next_cursor": next_cursor}


def _return_views(session: Session, ids: Sequence[str]) -> list[dict]:
    if not ids:
        return []
    rows = {r.id: r for r in session.scalars(select(ReturnRequest)
                                             .where(ReturnRequest.id.in_(ids)))}
    lines: dict[str, list[dict]] = {i: [] for i in ids}
    for line in session.scalars(select(ReturnLine).where(ReturnLine.return_id.in_(ids))
                                .order_by(ReturnLine.sku)):
        lines[line.return_id].append({"sku": line.sku, "quantity": line.quantity})
    steps: dict[str, list[dict]] = {i: [] for i in ids}
    for step in session.scalars(select(ReturnStep).where(ReturnStep.return_id.in_(ids))
                                .order_by(ReturnStep.id)):
        steps[step.return_id].append({"step": step.step, "at": step.at, "note": step.note})
    return [
        {
            "id": r.id, "order_id": r.order_id, "user_id": r.user_id, "type": r.type,
            "status": r.status, "lines": lines[r.id], "reason": r.reason,
            "refund": _money(r.refund_amount, r.currency),
            "refunded": _money(r.refunded_amount, r.currency),
            "reject_reason": r.reject_reason, "created_at": r.created_at,
            "updated_at": r.updated_at, "timeline": steps[r.id],
        }
        for r in (rows[i] for i in ids)
    ]


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


def approve_return(db: Database, return_id: str) -> dict:
    """Admin: accept a request. ``refund_only`` is refunded by the payment service now;
    a return or an exchange waits for the goods."""
    with db.transaction() as session:
        at = now()
        row = _transition(session, return_id, approve_from(), ReturnStatus.APPROVED.value,
                          "approved")
        _add_step(session, return_id, ReturnStatus.APPROVED.value, at)
        outbox.emit(session, "ReturnApproved", key=row.order_id, data={
            "return_id": row.id, "order_id": row.order_id, "user_id": row.user_id,
            "type": row.type, "lines": _event_lines(session, row.id),
            "refund": _money(row.refund_amount, row.currency), "approved_at": at.isoformat(),
        })
        return _return_views(session, [return_id])[0]


def reject_return(db: Database, return_id: str, reason: str) -> dict:
    """Admin: refuse a request; its quantities may be requested again."""
    with db.transaction() as session:
        at = now()
        row = _transition(session, return_id, reject_from(_type_of(session, return_id)),
                          ReturnStatus.REJECTED.value, "rejected", reject_reason=reason)
        _add_step(session, return_id, ReturnStatus.REJECTED.value, at, reason)
        outbox.emit(session, "ReturnRejected", key=row.order_id, data={
            "return_id": row.id, "order_id": row.order_id, "user_id": row.user_id,
            "reason": reason, "rejected_at": at.isoformat(),
        })
        return _return_views(session, [return_id])[0]


def receive_return(db: Database, return_id: str) -> dict:
    """Admin: the goods of an approved return or exchange arrived. The payment service
    refunds a return (and the catalog restocks it); logistics ships an exchange's
    replacement, which settles the exchange."""
    with db.transaction() as session:
        at = now()
        allowed, target = receive_transition(_type_of(session, return_id))
        row = _transition(session, return_id, allowed, target, "received")
        _add_step(session, return_id, "goods_received", at)
        if target == ReturnStatus.EXCHANGED:
            _add_step(session, return_id, ReturnStatus.EXCHANGED.value, at,
                      "a replacement is being shipped")
        outbox.emit(session, "ReturnReceived", key=row.order_id, data={
            "return_id": row.id, "order_id": row.order_id, "user_id": row.user_id,
            "type": row.type, "lines": _event_lines(session, row.id),
            "refund": _money(row.refund_amount, row.currency), "received_at": at.isoformat(),
        })
        return _return_views(session, [return_id])[0]


# -- reviews ------------------------------------------------------------------------


def post_review(db: Database, user_id: str, order_id: str, product_id: int, rating: int,
                text: str, images: Sequence[str]) -> dict:
    """A buyer reviews a product of a delivered or completed order, once per product and
    order (the unique constraint decides between concurrent posts)."""
    with db.transaction() as session:
        check_reviewable(_own_order(session, user_id, order_id), product_id)
        at = now()
        review = Review(id=time_ordered_id("rev"), order_id=order_id, product_id=product_id,
                        user_id=user_id, rating=rating, text=text, images=list(images),
                        created_at=at)
        try:
            with session.begin_nested():
                session.add(review)
                session.flush()
        except IntegrityError:
            raise AlreadyReviewed(f"product {product_id} of order {order_id} is reviewed",
                                  product_id=product_id) from None
        outbox.emit(session, "ReviewPosted", key=order_id, data={
            "review_id": review.id, "order_id": order_id, "user_id": user_id,
            "product_id": product_id, "rating": rating, "text": text,
            "posted_at": at.isoformat(),
        })
        return _review_view(review)


def _review_view(review: Review) -> dict:
    return {"id": review.id, "product_id": review.product_id,
            "order_id": review.order_id, "author": mask_user(review.user_id),
            "rating": review.rating, "text": review.text, "images": list(review.images),
            "posted_at": review.created_at}


def product_reviews(db: Database, product_id: int, limit: int, cursor: str | None) -> dict:
    """Public: a product's reviews newest first, with the rating summary of all of them."""
    with db.read() as session:
        counts = dict(session.execute(
            select(Review.rating, func.count()).where(Review.product_id == product_id)
            .group_by(Review.rating)).all())
        query = select(Review).where(Review.product_id == product_id)
        if cursor:
            query = query.where(Review.id < cursor)
        rows, next_cursor = _page(
            list(session.scalars(query.order_by(Review.id.desc()).limit(limit + 1))), limit)
        summary = rating_summary(counts)
        return {
            "product_id": product_id,
            "summary": {"count": summary.count, "average": summary.average,
                        "distribution": summary.distribution},
            "items": [_review_view(r) for r in rows],
            "next_cursor": next_cursor,
        }


# -- tickets ------------------------------------------------------------------------


def open_ticket(db: Database, user_id: str, order_id: str | None, subject: str,
                message: str) -> dict:
    """A customer asks customer service something, perhaps about one of their orders."""
    with db.transaction() as session:
        if order_id is not None:
            _own_order(session, user_id, order_id)
        at = now()
        ticket = Ticket(id=time_ordered_id("tkt"), user_id=user_id, order_id=order_id,
                        subject=subject, status=status_after_message(False), created_at=at,
                        updated_at=at)
        session.add(ticket)
        session.flush()
        session.add(TicketMessage(ticket_id=ticket.id, author_id=user_id, from_staff=False,
                                  body=message, created_at=at))
        session.flush()
        return _ticket_view(session, ticket, with_messages=True)


def _visible_ticket(session: Session, ticket_id: str, user_id: str, is_admin: bool) -> Ticket:
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None or not (is_admin or ticket.user_id == user_id):
        raise TicketNotFound(f"no ticket {ticket_id}")
    return ticket


def get_ticket(db: Database, ticket_id: str, user_id: str, is_admin: bool) -> dict:
    """A ticket with its messages: for its customer and for staff only."""
    with db.read() as session:
        return _ticket_view(session, _visible_ticket(session, ticket_id, user_id, is_admin),
                            with_messages=True)


def add_ticket_message(db: Database, ticket_id: str, user_id: str, is_admin: bool,
                       body: str) -> dict:
    """Its customer or staff write; a staff reply marks the ticket answered, the
    customer's reopens it."""
    with db.transaction() as session:
        ticket = _visible_ticket(session, ticket_id, user_id, is_admin)
        at = now()
        session.add(TicketMessage(ticket_id=ticket_id, author_id=user_id, from_staff=is_admin,
                                  body=body, created_at=at))
        session.execute(update(Ticket).where(Ticket.id == ticket_id)
                        .values(status=status_after_message(is_admin), updated_at=at)
                        .execution_options(synchronize_session=False))
        session.flush()
        ticket = session.get(Ticket, ticket_id, populate_existing=True)
        return _ticket_view(session, ticket, with_messages=True)


def close_ticket(db: Database, ticket_id: str, user_id: str, is_admin: bool) -> dict:
    """Its customer or staff close it (again: no change); writing again reopens it."""
    with db.transaction() as session:
        _visible_ticket(session, ticket_id, user_id, is_admin)
        session.execute(update(Ticket)
                        .where(Ticket.id == ticket_id, Ticket.status != TicketStatus.CLOSED)
                        .values(status=TicketStatus.CLOSED, updated_at=now())
                        .execution_options(synchronize_session=False))
        ticket = session.get(Ticket, ticket_id, populate_existing=True)
        return _ticket_view(session, ticket, with_messages=True)


def list_tickets(db: Database, limit: int, cursor: str | None, user_id: str | None = None,
                 status: str | None = None) -> dict:
    """Tickets newest first: a customer's own (``user_id``) or, for staff, all."""
    with db.read() as session:
        query = select(Ticket)
        if user_id is not None:
            query = query.where(Ticket.user_id == user_id)
        if status is not None:
            query = query.where(Ticket.status == status)
        if cursor:
            query = query.where(Ticket.id < cursor)
        rows, next_cursor = _page(
            list(session.scalars(query.order_by(Ticket.id.desc()).limit(limit + 1))), limit)
        return {"items": [_ticket_view(session, t, with_messages=False) for t in rows],
                "next_cursor": next_cursor}


def _ticket_view(session: Session, ticket: Ticket, with_messages: bool) -> dict:
    view: dict[str, Any] = {
        "id": ticket.id, "user_id": ticket.user_id, "order_id": ticket.order_id,
        "subject": ticket.subject, "status": ticket.status, "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }
    if with_messages:
        view["messages"] = [
            {"author": "staff" if m.from_staff else "customer", "body": m.body,
             "created_at": m.created_at}
            for m in session.scalars(select(TicketMessage)
                                     .where(TicketMessage.ticket_id == ticket.id)
                                     .order_by(TicketMessage.id))
        ]
    return view
