"""Payment provider adapters: how each provider signs, and how we verify, its messages.

Each adapter module (``alipay``, ``wechat``, ``card``) has the same shape:

* ``build(trade, keys, now) -> (body, headers)``: the notification as the provider
  sends it, signed with the provider's secret half (used by the sandbox, and by tests).
* ``parse(body, headers, credentials) -> Notification``: what the merchant does with a
  notification: verify it with the provider's public half (or shared secret) only,
  then read it. A bad or missing signature raises :class:`InvalidSignature`.
* ``ACK``: how the merchant acknowledges, in the provider's expected format, and
  ``acknowledged(status, text)``: whether the provider takes an answer as that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import ModuleType

from service_runtime.errors import NotFound, Problem

# China Standard Time, in which Alipay and WeChat Pay write their timestamps.
BEIJING = timezone(timedelta(hours=8))


class InvalidSignature(Problem):
    status, slug, title = 400, "invalid-signature", "The notification's signature is not valid"


class NotificationRefused(Problem):
    status, slug, title = 400, "notification-refused", "The notification was refused"


class UnknownProvider(NotFound):
    slug, title = "unknown-provider", "No such payment provider"


@dataclass(frozen=True)
class Trade:
    """A provider-side trade result, as the sandbox records it."""

    payment_id: str
    trade_no: str
    succeeded: bool
    amount: int  # fen
    currency: str
    notify_id: str


@dataclass(frozen=True)
class Notification:
    """A verified notification, provider-neutral."""

    provider: str
    notify_id: str
    payment_id: str
    trade_no: str
    succeeded: bool
    amount: int  # fen
    currency: str
    sent_at: datetime
    detail: str  # the provider's own word for the state, for failure reasons and logs


@dataclass(frozen=True)
class SigningKeys:
    """The provider's side: what it signs (and, for WeChat, encrypts) with."""

    private_key: str | None = None  # PEM
    secret: str | None = None  # WeChat APIv3 key / card webhook secret
    serial: str | None = None  # WeChat platform certificate serial
    app_id: str | None = None  # the merchant's app id / mch id at the provider


@dataclass(frozen=True)
class Credentials:
    """The merchant's side: only what verifies (public key, shared secret)."""

    public_key: str | None = None  # PEM
    secret: str | None = None
    serial: str | None = None
    app_id: str | None = None


@dataclass(frozen=True)
class Ack:
    status: int
    body: str
    content_type: str


def adapter(provider: str) -> ModuleType:
    """The adapter module of ``provider`` or a 404 problem."""
    from payment.domain import Provider
    from payment.providers import alipay, card, wechat

    adapters = {Provider.ALIPAY: alipay, Provider.WECHAT: wechat, Provider.CARD: card}
    if provider not in adapters:
        raise UnknownProvider(f"no payment provider {provider!r}")
    return adapters[provider]
