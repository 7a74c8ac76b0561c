"""Projections on a real database: a copy made by whichever event comes first, facts
learnt once, a status that only moves forward, and two consumers racing on one copy."""

from __future__ import annotations

import threading
from datetime import datetime
from enum import StrEnum

import pytest
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_runtime.db import Database
from service_runtime.projections import Projection, StatusOrder, move_forward
from service_runtime.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Status(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class OrderCopy(Base):
    __tablename__ = "order_copies"

    order_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    method: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


ORDERS = Projection(OrderCopy, "order_id", StatusOrder(*Status))


@pytest.fixture
def db(new_database):
    database = Database(new_database("projections"))
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def copy(db: Database, order_id: str) -> OrderCopy:
    with db.read() as session:
        found = session.get(OrderCopy, order_id)
    assert found is not None
    return found


def test_a_status_order_lists_what_moves_forward_to_a_status():
    order = StatusOrder(*Status)
    assert order.first == "pending"
    assert order.before(Status.PENDING) == ()
    assert order.before(Status.SHIPPED) == ("pending", "paid")
    assert order.before(Status.CANCELLED) == ("pending", "paid", "shipped", "delivered")
    with pytest.raises(ValueError):
        order.before("lost")
    with pytest.raises(ValueError):
        StatusOrder("a", "b", "a")


def test_the_first_event_makes_the_copy_and_later_ones_fill_in_what_it_lacked(db):
    with db.transaction() as session:
        assert ORDERS.ensure(session, "o1", user_id=None) is True
    made = copy(db, "o1")
    assert (made.status, made.user_id) == ("pending", None)
    assert made.updated_at is not None

    with db.transaction() as session:
        assert ORDERS.ensure(session, "o1", user_id="alice") is False
        assert ORDERS.ensure(session, "o1", user_id="mallory", method="pickup") is False
    learnt = copy(db, "o1")
    assert (learnt.user_id, learnt.method) == ("alice", "pickup"), \
        "a fact, once known, is not overwritten"
    assert learnt.status == "pending", "ensuring does not touch the status"
    with db.read() as session:
        assert session.scalars(select(OrderCopy.order_id)).all() == ["o1"]


def test_learn_sets_a_fact_once_and_says_whether_this_call_did(db):
    at = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
    with db.transaction() as session:
        ORDERS.ensure(session, "o1")
        assert ORDERS.learn(session, "o1", "delivered_at", at, method="express") is True
        later = datetime.fromisoformat("2026-03-02T10:00:00+00:00")
        assert ORDERS.learn(session, "o1", "delivered_at", later, method="pickup") is False
        assert ORDERS.learn(session, "unknown", "delivered_at", at) is False
    learnt = copy(db, "o1")
    assert (learnt.delivered_at, learnt.method) == (at, "express")


def test_a_status_moves_only_forward_whatever_order_the_events_come_in(db):
    with db.transaction() as session:
        ORDERS.ensure(session, "o1")
        assert ORDERS.advance(session, "o1", Status.SHIPPED) is True
        assert ORDERS.advance(session, "o1", Status.PAID) is False, "a late payment"
        assert ORDERS.advance(session, "o1", Status.SHIPPED) is False, "a repetition"
    assert copy(db, "o1").status == "shipped"

    with db.transaction() as session:
        assert ORDERS.advance(session, "o1", Status.CANCELLED, method="gone") is True
        assert ORDERS.advance(session, "o1", Status.DELIVERED) is False
        assert ORDERS.advance(session, "unknown", Status.PAID) is False
    cancelled = copy(db, "o1")
    assert (cancelled.status, cancelled.method) == ("cancelled", "gone")


def test_move_forward_works_on_any_entity_with_a_status_column(db):
    tracking = StatusOrder(Status.SHIPPED, Status.DELIVERED)
    with db.transaction() as session:
        ORDERS.ensure(session, "o1")
        ORDERS.advance(session, "o1", Status.SHIPPED)
        ORDERS.ensure(session, "o2")
        moved = move_forward(session, OrderCopy.status, tracking, Status.DELIVERED,
                             OrderCopy.order_id.in_(["o1", "o2"]))
    assert moved is True
    assert (copy(db, "o1").status, copy(db, "o2").status) == ("delivered", "pending"), \
        "a status outside the order before the target is not moved"


def test_a_projection_without_statuses_refuses_to_advance(db):
    with db.transaction() as session, pytest.raises(TypeError):
        Projection(OrderCopy, "order_id").advance(session, "o1", Status.PAID)


def test_two_consumers_racing_to_make_one_copy_both_succeed_and_make_one(db):
    """The first holds its new copy uncommitted while the second tries to make it too:
    the second waits for the first's commit, then finds the copy instead of failing."""
    first_inserted = threading.Event()
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def second() -> None:
        try:
            first_inserted.wait(10)
            with db.transaction() as session:
                results["second"] = ORDERS.ensure(session, "o1", user_id="alice")
                ORDERS.advance(session, "o1", Status.PAID)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    racer = threading.Thread(target=second)
    racer.start()
    with db.transaction() as session:
        results["first"] = ORDERS.ensure(session, "o1")
        ORDERS.advance(session, "o1", Status.SHIPPED)
        first_inserted.set()
        racer.join(0.5)
        assert racer.is_alive(), "the second waits for the first's transaction"
    racer.join(30)
    assert not errors, errors
    assert results == {"first": True, "second": False}
    raced = copy(db, "o1")
    assert (raced.user_id, raced.status) == ("alice", "shipped"), \
        "the second learnt the buyer and did not move the status back"
