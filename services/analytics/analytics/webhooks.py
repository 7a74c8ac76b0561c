"""Signed webhooks: the feed's records POSTed to partners who cannot read Kafka.

Each record is a delivery row per endpoint that wants its entity type, written in the
transaction that made the record. A ``RowJob`` works through them (retry state in the
row: deliveries survive restarts and are shared by replicas), one entity at a time per
endpoint: a delivery waits while an earlier record of its entity for the same endpoint is
neither delivered nor parked, so a partner receives each entity's records in sequence.
After ``webhook_max_attempts`` failed tries a delivery is parked: a dead letter the admin
lists and replays. Later records of its entity go on (each carries the whole state; a
replayed older one is ignored by the receiver's sequence rule).

The signature (``docs/integration.md``): ``X-Shop-Signature: t=<unix seconds>,v1=<hex>``
where hex = HMAC-SHA256(secret, "<t>.<body>").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import requests
from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session, aliased

from analytics.feed_models import IntegrationRecord, WebhookDelivery, WebhookEndpoint
from service_runtime.db import Database
from service_runtime.errors import Conflict
from service_runtime.http_client import pooled_session
from service_runtime.ids import utcnow
from service_runtime.jobs import RetryLater, RowJob
from service_runtime.paging import Page, page_of

SIGNATURE_HEADER = "X-Shop-Signature"
_HTTP = pooled_session(4)


class EndpointNameTaken(Conflict):
    slug = "webhook-endpoint-exists"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance_s: int = 300) -> bool:
    """What a partner does (the documented check): the HMAC matches and is recent."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return abs(now - timestamp) <= tolerance_s and hmac.compare_digest(expected,
                                                                       parts.get("v1", ""))


# --- endpoints --------------------------------------------------------------------------

def create_endpoint(db: Database, name: str, url: str, entity_types: Sequence[str],
                    secret: str | None = None) -> WebhookEndpoint:
    """A new endpoint; its ``secret`` (generated when not given) is shown this once."""
    secret = secret or secrets.token_urlsafe(32)
    with db.transaction() as session:
        if session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.name == name)):
            raise EndpointNameTaken(f"an endpoint named {name!r} exists")
        endpoint = WebhookEndpoint(name=name, url=url, secret=secret,
                                   entity_types=sorted(set(entity_types)), active=True,
                                   created_at=utcnow())
        session.add(endpoint)
        session.flush()
        session.expunge(endpoint)
    return endpoint


def list_endpoints(db: Database) -> list[WebhookEndpoint]:
    with db.read() as session:
        rows = list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
        session.expunge_all()
    return rows


def enqueue(session: Session, record: IntegrationRecord, now: datetime) -> None:
    """A delivery of ``record`` (just flushed) to every active endpoint that wants it."""
    endpoints = session.execute(select(WebhookEndpoint.id, WebhookEndpoint.entity_types)
                                .where(WebhookEndpoint.active.is_(True))).all()
    session.add_all(WebhookDelivery(
        endpoint_id=endpoint.id, record_id=record.id, entity_type=record.entity_type,
        entity_id=record.entity_id, sequence=record.sequence, attempts=0, created_at=now)
        for endpoint in endpoints if record.entity_type in endpoint.entity_types)


# --- sending ----------------------------------------------------------------------------

def _pending() -> Any:
    """Not delivered, and no earlier record of its entity still on its way to the endpoint."""
    earlier = aliased(WebhookDelivery)
    return and_(WebhookDelivery.delivered_at.is_(None), ~exists().where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        earlier.entity_type == WebhookDelivery.entity_type,
        earlier.entity_id == WebhookDelivery.entity_id,
        earlier.sequence < WebhookDelivery.sequence,
        earlier.delivered_at.is_(None), earlier.parked_at.is_(None)))


def deliver(db: Database, delivery_id: int, _at: datetime, timeout_s: float = 10.0) -> None:
    """One try: POST the record, signed; 2xx marks it delivered, anything else retries."""
    with db.read() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        record = session.get(IntegrationRecord, delivery.record_id)
        url, secret, body = endpoint.url, endpoint.secret, json.dumps(
            record.record, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json",
               SIGNATURE_HEADER: sign(secret, int(time.time()), body),
               "X-Shop-Delivery": str(delivery_id)}
    try:
        answer = _HTTP.post(url, data=body, headers=headers, timeout=timeout_s,
                            allow_redirects=False)
        error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    with db.transaction() as session:
        values = {"last_error": error} if error else {"delivered_at": utcnow(),
                                                      "last_error": None}
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                        .values(**values).execution_options(synchronize_session=False))
    if error:
        raise RetryLater(error)


def job(max_attempts: int, first_backoff_s: float, max_backoff_s: float,
        timeout_s: float) -> RowJob:
    return RowJob(service="analytics", name="webhook-deliveries", model=WebhookDelivery,
                  pending=_pending,
                  run=lambda db, row_id, at: deliver(db, row_id, at, timeout_s),
                  max_attempts=max_attempts, first_backoff_s=first_backoff_s,
                  max_backoff_s=max_backoff_s, lease_s=max(60.0, timeout_s * 3))


# --- dead letters -----------------------------------------------------------------------

def dead_letters(db: Database, limit: int, after: int | None) -> Page[WebhookDelivery]:
    with db.read() as session:
        query = (select(WebhookDelivery).where(WebhookDelivery.parked_at.is_not(None),
                                               WebhookDelivery.delivered_at.is_(None))
                 .order_by(WebhookDelivery.id).limit(limit + 1))
        if after is not None:
            query = query.where(WebhookDelivery.id > after)
        rows = list(session.scalars(query))
        session.expunge_all()
    return page_of(rows, limit, lambda row: str(row.id))


def replay(db: Database, delivery_ids: Sequence[int] | None) -> int:
    """Give parked deliveries (these, or all) a fresh set of attempts; return how many."""
    with db.transaction() as session:
        query = update(WebhookDelivery).where(WebhookDelivery.parked_at.is_not(None),
                                              WebhookDelivery.delivered_at.is_(None))
        if delivery_ids is not None:
            query = query.where(WebhookDelivery.id.in_(delivery_ids))
        return session.execute(query.values(
            parked_at=None, attempts=0, next_attempt_at=None, lease_until=None)
            .execution_options(synchronize_session=False)).rowcount


def loops(settings: Any) -> list[Any]:
    """The worker's webhook sender (``ServiceDefinition.loops``)."""
    sender = job(settings.webhook_max_attempts, settings.webhook_first_backoff_s,
                 settings.webhook_max_backoff_s, settings.webhook_timeout_s)
    return [sender.loop]
