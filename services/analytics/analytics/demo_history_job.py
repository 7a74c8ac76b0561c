"""The worker's job that makes the demo shopping history (``analytics.demo_history``) once
per database, when ``ANALYTICS_DEMO_HISTORY_DAYS`` asks for one.

It waits (each tick looks again) until the service knows the catalog: SKUs heard from
``ProductUpdated`` (their codes and prices are the middle-platform feed's inventory state;
their category and name the product facts) and none heard for ``QUIET`` (the demo catalog's
events arrive over some seconds: a history made from the first few products would ignore
the rest). Then, in one transaction with its marker (``DemoHistory``: none is ever made
twice, even by two replicas at once), it appends the shoppers' behaviour events and applies
their orders' events through the handlers' own domain effects
(``analytics.handlers.apply_order_event``), each ``data`` checked and parsed by its
contract as the consumer does. Never through the feed: these orders must not reach the
middle platform's topics or partners; nor the risk rules. The views are counted for
recommendations by the view counter's job, which reads the new events past its cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from analytics import demo_history
from analytics.demo_history import Sku
from analytics.demo_models import DemoHistory
from analytics.feed_models import IntegrationEntity
from analytics.handlers import apply_order_event
from analytics.models import BehaviourEvent, ProductFact
from analytics.settings import AnalyticsSettings
from event_contracts import REGISTRY
from event_contracts.integration import EntityType
from service_runtime.db import Database, insert_if_absent
from service_runtime.jobs import Loop, PeriodicJob

log = logging.getLogger(__name__)

MARK = "demo-history"
QUIET = timedelta(seconds=30)
INTERVAL_S = 10.0


class Outcome(StrEnum):
    WAITING = "waiting"  # the catalog is not known yet (or still arriving)
    EXISTS = "exists"  # made before (by this process or another)
    MADE = "made"


def known_catalog(session: Session, at: datetime) -> list[Sku]:
    """The SKUs of the products the service has facts of; none while SKUs were heard less
    than ``QUIET`` before ``at``."""
    inventory = IntegrationEntity.entity_type == EntityType.INVENTORY.value
    newest = session.scalar(select(func.max(IntegrationEntity.updated_at)).where(inventory))
    if newest is None or newest > at - QUIET:
        return []
    products = {row.product_id: row for row in session.execute(
        select(ProductFact.product_id, ProductFact.category_id, ProductFact.name))}
    catalog = []
    for (state,) in session.execute(select(IntegrationEntity.state).where(inventory)):
        product = products.get(state.get("product_id"))
        price = state.get("price") or {}
        if product is None or not price.get("amount"):
            continue
        catalog.append(Sku(product.product_id, product.category_id, product.name, state["sku"],
                           price["amount"], price["currency"]))
    return catalog


def make_once(db: Database, days: int, at: datetime,
              shoppers: int = demo_history.SHOPPERS) -> Outcome:
    """Make the history of the ``days`` before ``at`` unless it exists; what happened."""
    with db.read() as session:
        if session.get(DemoHistory, MARK) is not None:
            return Outcome.EXISTS
        catalog = known_catalog(session, at)
    if not catalog:
        return Outcome.WAITING
    history = demo_history.generate(catalog, days, at, shoppers)
    # Every event is checked before anything is written.
    events = [(event_type, _parsed(event_type, data)) for event_type, data in history.events]
    with db.transaction() as session:
        if not insert_if_absent(session, DemoHistory, name=MARK, days=days, shoppers=shoppers,
                                orders=history.orders,
                                behaviour_events=len(history.behaviour), created_at=at):
            return Outcome.EXISTS  # another replica made it meanwhile
        if history.behaviour:
            # Core, one multi-row INSERT (as POST /track's group commit).
            session.connection().execute(insert(BehaviourEvent), history.behaviour)
        for event_type, data in events:
            apply_order_event(session, event_type, data)
    log.info("demo history made", extra={"days": days, "shoppers": shoppers,
                                          "orders": history.orders,
                                          "behaviour_events": len(history.behaviour)})
    return Outcome.MADE


def _parsed(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as its contract allows it (strictly: as a producer must send it), then as
    the consumer hands it to the handlers (its times parsed)."""
    REGISTRY.validate_outgoing(event_type, 1, data)
    return REGISTRY.parse_incoming(event_type, 1, data)


def demo_history_job(settings: AnalyticsSettings) -> Callable[[Database], Loop]:
    """The worker loop (only when ``settings.demo_history_days`` is above 0)."""
    days = settings.demo_history_days

    def tick(db: Database, at: datetime) -> bool:
        make_once(db, days, at)
        return False

    return PeriodicJob(service="analytics", name="demo-history", tick=tick,
                       interval_s=INTERVAL_S).loop
