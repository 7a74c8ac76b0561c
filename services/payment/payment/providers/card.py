"""Card acquirer webhooks, Stripe style.

The body is a JSON event; ``Card-Signature: t=<unix>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 of ``"{t}.{body}"`` with the webhook secret shared with the acquirer.
The merchant answers any 2xx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime

from payment.domain import Provider
from payment.providers import (
    Ack,
    Credentials,
    InvalidSignature,
    Notification,
    NotificationRefused,
    SigningKeys,
    Trade,
)

NAME = Provider.CARD
ACK = Ack(200, '{"received": true}', "application/json")
HEADER = "Card-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(header: str | None, body: bytes, secret: str) -> int:
    """The header's timestamp if one of its ``v1`` signatures matches; else InvalidSignature."""
    timestamp, candidates = None, []
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not any(
            hmac.compare_digest(signature(secret, timestamp, body), candidate)
            for candidate in candidates):
        raise InvalidSignature(f"the {HEADER} does not verify")
    return timestamp


def build(trade: Trade, keys: SigningKeys, now: datetime) -> tuple[bytes, dict[str, str]]:
    assert keys.secret is not None
    created = int(now.timestamp())
    body = json.dumps({
        "id": trade.notify_id,
        "object": "event",
        "type": "payment_intent.succeeded" if trade.succeeded
        else "payment_intent.payment_failed",
        "created": created,
        "data": {"object": {
            "id": trade.trade_no,
            "object": "payment_intent",
            "amount": trade.amount,
            "currency": trade.currency.lower(),
            "status": "succeeded" if trade.succeeded else "requires_payment_method",
            "metadata": {"payment_id": trade.payment_id},
            "last_payment_error": None if trade.succeeded
            else {"code": "card_declined", "message": "Your card was declined."},
        }},
    }).encode()
    return body, {"Content-Type": "application/json",
                  HEADER: signature_header(keys.secret, created, body)}


def parse(body: bytes, headers: Mapping[str, str], credentials: Credentials) -> Notification:
    if credentials.secret is None:
        raise InvalidSignature("no webhook secret configured")
    timestamp = verify(headers.get(HEADER), body, credentials.secret)
    try:
        event = json.loads(body)
        intent = event["data"]["object"]
        kind = event["type"]
        if kind not in ("payment_intent.succeeded", "payment_intent.payment_failed"):
            raise ValueError(f"event type {kind!r} is not a payment result")
        amount = intent["amount"]
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ValueError("amount must be an integer number of fen")
        error = intent.get("last_payment_error") or {}
        return Notification(
            provider=NAME, notify_id=str(event["id"]),
            payment_id=intent["metadata"]["payment_id"], trade_no=intent["id"],
            succeeded=kind == "payment_intent.succeeded", amount=amount,
            currency=str(intent["currency"]).upper(),
            sent_at=datetime.fromtimestamp(timestamp, UTC),
            detail=error.get("code") or intent.get("status", ""))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise NotificationRefused(f"malformed notification: {exc}") from None


def acknowledged(status: int, text: str) -> bool:
    """The card processor stops resending on any 2xx."""
    return 200 <= status < 300
