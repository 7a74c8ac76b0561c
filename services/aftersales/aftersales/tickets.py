"""Customer-service tickets: a conversation between a customer and staff."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from aftersales.domain import TicketNotFound, TicketStatus, status_after_message
from aftersales.models import Ticket, TicketMessage
from aftersales.orders import own_order
from service_runtime.db import Database
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.paging import Page, page_of


def open_ticket(db: Database, user_id: str, order_id: str | None, subject: str,
                message: str) -> Ticket:
    """A customer asks customer service something, perhaps about one of their orders."""
    with db.transaction() as session:
        if order_id is not None:
            own_order(session, user_id, order_id)
        at = now()
        ticket = Ticket(id=time_ordered_id("tkt"), user_id=user_id, order_id=order_id,
                        subject=subject, status=status_after_message(False), created_at=at,
                        updated_at=at)
        session.add(ticket)
        session.flush()
        session.add(TicketMessage(ticket_id=ticket.id, author_id=user_id, from_staff=False,
                                  body=message, created_at=at))
        session.flush()
        return _with_messages(session, ticket)


def _visible_ticket(session: Session, ticket_id: str, user_id: str, is_admin: bool) -> Ticket:
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None or not (is_admin or ticket.user_id == user_id):
        raise TicketNotFound(f"no ticket {ticket_id}")
    return ticket


def get_ticket(db: Database, ticket_id: str, user_id: str, is_admin: bool) -> Ticket:
    """A ticket with its messages: for its customer and for staff only."""
    with db.read() as session:
        return _with_messages(session, _visible_ticket(session, ticket_id, user_id, is_admin))


def add_ticket_message(db: Database, ticket_id: str, user_id: str, is_admin: bool,
                       body: str) -> Ticket:
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
        return _with_messages(session, ticket)


def close_ticket(db: Database, ticket_id: str, user_id: str, is_admin: bool) -> Ticket:
    """Its customer or staff close it (again: no change); writing again reopens it."""
    with db.transaction() as session:
        _visible_ticket(session, ticket_id, user_id, is_admin)
        session.execute(update(Ticket)
                        .where(Ticket.id == ticket_id, Ticket.status != TicketStatus.CLOSED)
                        .values(status=TicketStatus.CLOSED, updated_at=now())
                        .execution_options(synchronize_session=False))
        ticket = session.get(Ticket, ticket_id, populate_existing=True)
        return _with_messages(session, ticket)


def list_tickets(db: Database, limit: int, cursor: str | None, user_id: str | None = None,
                 status: str | None = None, order_id: str | None = None) -> Page[Ticket]:
    """Tickets newest first: a customer's own (``user_id``) or, for staff, all (optionally
    of one ``status``, customer or ``order_id``)."""
    with db.read() as session:
        query = select(Ticket)
        if user_id is not None:
            query = query.where(Ticket.user_id == user_id)
        if status is not None:
            query = query.where(Ticket.status == status)
        if order_id is not None:
            query = query.where(Ticket.order_id == order_id)
        if cursor:
            query = query.where(Ticket.id < cursor)
        return page_of(
            list(session.scalars(query.order_by(Ticket.id.desc()).limit(limit + 1))), limit)


def _with_messages(session: Session, ticket: Ticket) -> Ticket:
    """The ticket, re-read with its messages (oldest first)."""
    return session.scalars(
        select(Ticket).where(Ticket.id == ticket.id).options(selectinload(Ticket.messages))
        .execution_options(populate_existing=True)).one()
