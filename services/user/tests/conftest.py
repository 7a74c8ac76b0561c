"""Membership tests: the user service on a migrated database, its consumer, and events
built from the contracts' examples (proof this service accepts what the contracts say)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer
from service_runtime.handlers import Event, decode
from service_runtime.testing.plugin import ServiceUnderTest, outbox_events
from user.app import create_app
from user.definition import DEFINITION
from user.handlers import handlers
from user.models import Member, PointsLedgerEntry

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "event_contracts" / "examples"


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app)


@pytest.fixture
def consumer(db):
    return EventConsumer("user", "user", db, handlers, KafkaSettings(), DeliverySettings())


def inbound(event_type: str, event_id: str | None = None, **changes) -> Event:
    raw = json.loads((EXAMPLES / f"{event_type}.v1.json").read_text())
    raw["id"] = event_id or str(uuid.uuid4())
    raw["data"].update(changes)
    raw["key"] = raw["data"].get("order_id", raw["key"])
    return decode(json.dumps(raw).encode())


def money(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


def placed(order_id: str, total: int, points: int = 0, user: str = "alice", **changes) -> Event:
    return inbound("OrderPlaced", order_id=order_id, user_id=user, total=money(total),
                   points_used=points, **changes)


def cancelled(order_id: str, user: str = "alice") -> Event:
    return inbound("OrderCancelled", order_id=order_id, user_id=user)


def paid(order_id: str, user: str = "alice") -> Event:
    return inbound("PaymentConfirmed", order_id=order_id, user_id=user)


def cash_on_delivery(order_id: str, user: str = "alice") -> Event:
    return inbound("CashOnDeliveryChosen", order_id=order_id, user_id=user)


def completed(order_id: str, user: str = "alice") -> Event:
    return inbound("OrderCompleted", order_id=order_id, user_id=user)


def refunded(order_id: str, refunded_total: int, fully: bool = False, user: str = "alice",
             **changes) -> Event:
    return inbound("RefundIssued", order_id=order_id, user_id=user, amount=money(1),
                   refunded_total=money(refunded_total), fully_refunded=fully, **changes)


def member(db, user: str = "alice") -> Member | None:
    with db.read() as session:
        return session.get(Member, user)


def standing(db, user: str = "alice") -> tuple[int, int, int, int, str]:
    """(balance, locked, debt, growth, level)"""
    row = member(db, user)
    if row is None:
        return 0, 0, 0, 0, "regular"
    return row.points_balance, row.points_locked, row.points_debt, row.growth, row.level


def ledger(db, user: str = "alice") -> list[tuple[str, int]]:
    """(kind, delta) of each movement, oldest first."""
    with db.read() as session:
        return [(entry.kind, entry.delta) for entry in session.scalars(
            select(PointsLedgerEntry).where(PointsLedgerEntry.user_id == user)
            .order_by(PointsLedgerEntry.id))]


def emitted(db, event_type: str) -> list[dict]:
    return [event["data"] for event in outbox_events(db, event_type)]


@pytest.fixture
def ev() -> SimpleNamespace:
    """The events about an order, as the consumer decodes them."""
    return SimpleNamespace(placed=placed, cancelled=cancelled, paid=paid,
                           cash_on_delivery=cash_on_delivery, completed=completed,
                           refunded=refunded)


@pytest.fixture
def look(db) -> SimpleNamespace:
    """What the member's rows and the outbox say."""
    return SimpleNamespace(standing=lambda user="alice": standing(db, user),
                           ledger=lambda user="alice": ledger(db, user),
                           emitted=lambda event_type: emitted(db, event_type))
