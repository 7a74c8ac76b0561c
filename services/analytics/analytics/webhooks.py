"""Signed webhooks: the feed's records POSTed to partners who cannot read Kafka.

Each record is a delivery row per endpoint that wants its entity type, written in the
transaction that made the record. A ``RowJob`` works through them (retry state in the
row: deliveries survive restarts and are shared by replicas), one entity at a time per
endpoint: a delivery waits while an earlier record of its entity for the same endpoint is
neither delivered nor parked, so a partner receives each entity's records in sequence.
After ``webhook_max_attempts`` failed tries a delivery is parked: a dead letter the admin
lists and replays. Later records of its entity go on (each carries the whole state; a
replayed older one is ignored by the receiver's sequence rule).

An admin edits an endpoint (``update_endpoint``): its entity types apply to records made
from then on; a deactivated endpoint gets no new deliveries, and its pending ones wait
(``_pending`` skips them) to go out in order once it is active again. Its URL must pass
``analytics.webhook_urls`` when set and again before every try.

The signature (``docs/integration.md``): ``X-Shop-Signature: t=<unix seconds>,v1=<hex>``
where hex = HMAC-SHA256(secret, "<t>.<body>").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import requests
from sqlalchemy import and_, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from analytics.feed_models import IntegrationRecord, WebhookDelivery, WebhookEndpoint
from analytics.webhook_urls import UrlPolicy, UrlRefused, check_url
from service_runtime.db import Database
from service_runtime.errors import Conflict, NotFound
from service_runtime.http_client import pooled_session
from service_runtime.ids import utcnow
from service_runtime.jobs import RetryLater, RowJob
from service_runtime.paging import Page, page_of

SIGNATURE_HEADER = "X-Shop-Signature"
_HTTP = pooled_session(4)


class EndpointNameTaken(Conflict):
    slug = "webhook-endpoint-exists"


class EndpointNotFound(NotFound):
    slug = "webhook-endpoint-not-found"


# What an admin may change on an endpoint (``update_endpoint``).
EDITABLE = ("name", "url", "entity_types", "active")


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

def _name_taken(session: Session, name: str, other_than: int | None = None) -> None:
    query = select(WebhookEndpoint.id).where(WebhookEndpoint.name == name)
    if other_than is not None:
        query = query.where(WebhookEndpoint.id != other_than)
    if session.scalar(query):
        raise EndpointNameTaken(f"an endpoint named {name!r} exists")


def create_endpoint(db: Database, name: str, url: str, entity_types: Sequence[str],
                    policy: UrlPolicy, secret: str | None = None) -> WebhookEndpoint:
    """A new endpoint; its ``secret`` (generated when not given) is shown this once."""
    check_url(url, policy)
    secret = secret or secrets.token_urlsafe(32)
    with _names_unique(name), db.transaction() as session:
        _name_taken(session, name)
        endpoint = WebhookEndpoint(name=name, url=url, secret=secret,
                                   entity_types=sorted(set(entity_types)), active=True,
                                   created_at=utcnow())
        session.add(endpoint)
        session.flush()
        session.expunge(endpoint)
    return endpoint


@contextmanager
def _names_unique(name: str) -> Iterator[None]:
    """The name is checked before writing; an admin who wrote the same name a moment
    earlier is caught by the unique index, and told the same."""
    try:
        yield
    except IntegrityError as exc:
        raise EndpointNameTaken(f"an endpoint named {name!r} exists") from exc


def list_endpoints(db: Database) -> list[WebhookEndpoint]:
    with db.read() as session:
        rows = list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
        session.expunge_all()
    return rows


def get_endpoint(db: Database, endpoint_id: int) -> WebhookEndpoint:
    with db.read() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        session.expunge(endpoint)
    return endpoint


def update_endpoint(db: Database, endpoint_id: int, changes: dict[str, Any],
                    policy: UrlPolicy) -> WebhookEndpoint:
    """Change some of ``EDITABLE``; the others stay. Deliveries already queued keep going
    to the (new) URL; new entity types and ``active`` count for records made from now."""
    if "url" in changes:
        check_url(changes["url"], policy)
    with _names_unique(changes.get("name", "")), db.transaction() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
        if endpoint is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        if "name" in changes:
            _name_taken(session, changes["name"], other_than=endpoint_id)
        if "entity_types" in changes:
            changes = {**changes, "entity_types": sorted(set(changes["entity_types"]))}
        for key in EDITABLE:
            if key in changes:
                setattr(endpoint, key, changes[key])
        session.flush()
        session.expunge(endpoint)
    return endpoint


def rotate_secret(db: Database, endpoint_id: int,
                  secret: str | None = None) -> WebhookEndpoint:
    """A new signing key (generated when not given), shown this once. Every try from now
    on, of pending deliveries too, is signed with it: the partner switches at once."""
    secret = secret or secrets.token_urlsafe(32)
    with db.transaction() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
        if endpoint is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        endpoint.secret = secret
        session.flush()
        session.expunge(endpoint)
    return endpoint


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
    """Not delivered, for an active endpoint, and no earlier record of its entity still on
    its way to the endpoint."""
    earlier = aliased(WebhookDelivery)
    return and_(WebhookDelivery.delivered_at.is_(None), exists().where(
        WebhookEndpoint.id == WebhookDelivery.endpoint_id,
        WebhookEndpoint.active.is_(True)), ~exists().where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        earlier.entity_type == WebhookDelivery.entity_type,
        earlier.entity_id == WebhookDelivery.entity_id,
        earlier.sequence < WebhookDelivery.sequence,
        earlier.delivered_at.is_(None), earlier.parked_at.is_(None)))


def deliver(db: Database, delivery_id: int, _at: datetime, policy: UrlPolicy,
            timeout_s: float = 10.0) -> None:
    """One try: POST the record, signed; 2xx marks it delivered, anything else (a URL the
    policy now refuses too) retries."""
    with db.read() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        record = session.get(IntegrationRecord, delivery.record_id)
        url, secret, active, body = endpoint.url, endpoint.secret, endpoint.active, \
            json.dumps(record.record, ensure_ascii=False, separators=(",", ":")).encode()
    if not active:  # deactivated since the pass chose it: it waits, still pending
        return
    headers = {"Content-Type": "application/json",
               SIGNATURE_HEADER: sign(secret, int(time.time()), body),
               "X-Shop-Delivery": str(delivery_id)}
    try:
        # Again here: the name may resolve elsewhere than when the admin set it.
        check_url(url, policy)
        answer = _HTTP.post(url, data=body, headers=headers, timeout=timeout_s,
                            allow_redirects=False)
        error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
    except UrlRefused as exc:
        error = f"URL refused: {exc.detail}"[:500]
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
        timeout_s: float, policy: UrlPolicy) -> RowJob:
    return RowJob(service="analytics", name="webhook-deliveries", model=WebhookDelivery,
                  pending=_pending,
                  run=lambda db, row_id, at: deliver(db, row_id, at, policy, timeout_s),
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
                 settings.webhook_max_backoff_s, settings.webhook_timeout_s,
                 settings.webhook_url_policy())
    return [sender.loop]
