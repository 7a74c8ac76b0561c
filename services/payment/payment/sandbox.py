"""Provider sandboxes: a stand-in for Alipay, WeChat Pay and the card acquirer.

It behaves like the real providers towards the merchant: a cashier page where the
buyer pays (or fails to), then an asynchronous notification, signed with the
provider's own key, POSTed to the merchant's notify URL and retried with backoff
until the merchant acknowledges it the provider's way. The sandbox keeps its keys in
its own table (as a provider keeps them); the merchant side reads only the public
half or the shared secret (:func:`merchant_credentials`), or takes the real ones its
settings name.

A real provider learns the trade's amount when the merchant creates it through an
API; the sandbox reads the pending payment instead. Enabled by ``PAYMENT_SANDBOX``.

As a provider binds its cashier to one trade, the cashier refuses a request without
the signed, expiring token of its link (:mod:`payment.cashier_links`).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from html import escape

import requests
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from payment.cashier_links import check_cashier_token
from payment.domain import (
    PaymentKind,
    PaymentNotFound,
    PaymentStatus,
    Provider,
    SandboxDisabled,
    TradeOutcome,
    fen_to_yuan,
)
from payment.models import Payment, SandboxKey, SandboxNotification
from payment.providers import Credentials, SigningKeys, Trade, adapter
from payment.providers.crypto import generate_rsa_pair
from payment.return_links import back_to_shop
from payment.settings import DEFAULTS, PaymentSettings
from service_runtime.db import Database
from service_runtime.errors import Conflict, InvalidInput
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.jobs import RetryLater, RowJob

MERCHANT_NAME = "Shop 小店"
Send = Callable[[str, bytes, dict[str, str]], tuple[int | None, str]]


class TradeAlreadyPaid(Conflict):
    slug, title = "trade-already-paid", "This trade was already paid at the provider"


# -- keys ------------------------------------------------------------------------------

def _new_keys(provider: str) -> SandboxKey:
    private, public, secret, serial = None, None, None, None
    if provider in (Provider.ALIPAY, Provider.WECHAT):
        private, public = generate_rsa_pair()
    if provider == Provider.WECHAT:
        secret, serial = secrets.token_hex(16), secrets.token_hex(20).upper()
    if provider == Provider.CARD:
        secret = f"whsec_{secrets.token_hex(24)}"
    return SandboxKey(provider=provider, private_key=private, public_key=public, secret=secret,
                      serial=serial, created_at=now())


def _stored_keys(db: Database, provider: str) -> SandboxKey:
    """The sandbox's keys for ``provider``, generated once (a concurrent twin loses)."""
    with db.read() as session:
        found = session.get(SandboxKey, provider)
    if found is not None:
        return found
    try:
        with db.transaction() as session:
            found = _new_keys(provider)
            session.add(found)
        return found
    except IntegrityError:
        with db.read() as session:
            return session.get(SandboxKey, provider)


def signing_keys(db: Database, provider: str,
                 settings: PaymentSettings = DEFAULTS) -> SigningKeys:
    """The sandbox's keys as it signs for the merchant ``settings`` name."""
    stored = _stored_keys(db, provider)
    return SigningKeys(private_key=stored.private_key, secret=stored.secret,
                       serial=stored.serial, app_id=settings.app_id(provider))


def merchant_credentials(db: Database, provider: str, settings: PaymentSettings) -> Credentials:
    """What the merchant verifies ``provider``'s notifications with: the configured keys,
    else the sandbox's public half (never its private key)."""
    configured = settings.provider_credentials(provider)
    app_id = settings.app_id(provider) or None
    if configured.public_key or configured.secret:
        return Credentials(configured.public_key, configured.secret, configured.serial, app_id)
    if not settings.sandbox:
        return Credentials(app_id=app_id)
    stored = _stored_keys(db, provider)
    return Credentials(public_key=stored.public_key, secret=stored.secret,
                       serial=stored.serial, app_id=app_id)


# -- the cashier -------------------------------------------------------------------------

def _pending_payment(db: Database, settings: PaymentSettings, provider: str,
                     payment_id: str, token: str | None) -> Payment:
    if not settings.sandbox:
        raise SandboxDisabled()
    if provider not in tuple(Provider):
        raise PaymentNotFound(f"no provider {provider}")
    check_cashier_token(db, provider, payment_id, token)
    with db.read() as session:
        payment = session.get(Payment, payment_id)
    if (payment is None or payment.method != provider
            or payment.status != PaymentStatus.PENDING):
        raise PaymentNotFound(f"no pending {provider} payment {payment_id}")
    return payment


def cashier_page(db: Database, settings: PaymentSettings, provider: str, payment_id: str,
                 token: str | None) -> str:
    """The provider's cashier: what is paid, to whom, and one form to pay or fail (it
    posts back to the page's own URL, token included)."""
    payment = _pending_payment(db, settings, provider, payment_id, token)
    subject = (f"订单 Order {payment.order_id}" if payment.kind == PaymentKind.ORDER
               else "钱包充值 Wallet top-up")
    return _page(f"{provider} sandbox cashier", f"""
<dl>
  <dt>Merchant</dt><dd>{escape(MERCHANT_NAME)}</dd>
  <dt>Subject</dt><dd>{escape(subject)}</dd>
  <dt>Amount</dt><dd>¥{fen_to_yuan(payment.amount)} {escape(payment.currency)}</dd>
  <dt>Trade</dt><dd>{escape(payment.id)}</dd>
</dl>
<form method="post">
  <input type="hidden" name="payment_id" value="{escape(payment.id)}">
  <label>Outcome
    <select name="outcome">
      <option value="{TradeOutcome.SUCCESS}">Pay (success)</option>
      <option value="{TradeOutcome.FAILURE}">Decline (failure)</option>
    </select>
  </label>
  <button type="submit">Confirm</button>
</form>""")


def submit(db: Database, settings: PaymentSettings, provider: str, payment_id: str,
           token: str | None, form_payment_id: str, outcome: str) -> tuple[str, str | None]:
    """The buyer paid (or failed) at the cashier: record the trade, queue the notification.
    Returns the provider's page and, when the payment named one, the link back to the
    shop (the browser goes there instead of the page)."""
    payment = _pending_payment(db, settings, provider, payment_id, token)
    if form_payment_id != payment_id:
        raise InvalidInput("the form is for another payment")
    at = now()
    with db.transaction() as session:
        paid = session.scalar(select(SandboxNotification.id).where(
            SandboxNotification.payment_id == payment_id,
            SandboxNotification.outcome == TradeOutcome.SUCCESS))
        if paid is not None:
            raise TradeAlreadyPaid(f"{payment_id} was already paid")
        session.add(SandboxNotification(
            id=time_ordered_id("ntf"), provider=provider, payment_id=payment_id,
            trade_no=f"{provider[:2].upper()}{secrets.token_hex(12)}", outcome=outcome,
            amount=payment.amount, currency=payment.currency,
            url=f"{settings.notify_url}/api/v1/payments/callbacks/{provider}", attempts=0,
            acknowledged=False, next_attempt_at=at, created_at=at))
    word = "paid" if outcome == TradeOutcome.SUCCESS else "declined"
    page = _page(f"{provider} sandbox", f"<p>Payment {escape(payment_id)} {word}. The merchant "
                 "will be notified; you may return to the shop.</p>")
    back = (back_to_shop(payment.return_url, payment.id, payment.order_id, outcome)
            if payment.return_url else None)
    return page, back


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
            f"</title></head><body><h1>{escape(title)}</h1>{body}</body></html>")


# -- notifications ------------------------------------------------------------------------

def http_send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST a notification; (status, text), or (None, error) when nobody answered."""
    try:
        response = requests.post(url, data=body, headers=headers, timeout=10)
        return response.status_code, response.text
    except requests.RequestException as exc:
        return None, repr(exc)


def _deliver(send: Send, settings: PaymentSettings) -> Callable[[Database, str, datetime],
                                                               None]:
    def deliver(db: Database, notification_id: str, at: datetime) -> None:
        """Sign afresh (a new timestamp, the same notify id), as providers do, so a retry
        after an outage is not refused as stale. No transaction is open while the merchant
        is called."""
        with db.read() as session:
            notification = session.get(SandboxNotification, notification_id)
        assert notification is not None
        module = adapter(notification.provider)
        trade = Trade(payment_id=notification.payment_id, trade_no=notification.trade_no,
                      succeeded=notification.outcome == TradeOutcome.SUCCESS,
                      amount=notification.amount,
                      currency=notification.currency, notify_id=notification.id)
        body, headers = module.build(trade, signing_keys(db, notification.provider, settings), at)
        status, text = send(notification.url, body, headers)
        ok = status is not None and module.acknowledged(status, text)
        with db.transaction() as session:
            session.execute(
                update(SandboxNotification).where(SandboxNotification.id == notification_id)
                .values(body=body.decode(), headers=json.dumps(headers), last_status=status,
                        acknowledged=ok))
        if not ok:
            raise RetryLater(f"the merchant did not acknowledge (status {status})")

    return deliver


def delivery(settings: PaymentSettings, send: Send = http_send, limit: int = 20) -> RowJob:
    """The job delivering the sandbox's notifications: retried with backoff (2 s, 4 s ...
    at most 5 min apart) until acknowledged, parked after 15 tries (about 2.5 hours), as a
    provider gives up at last."""
    return RowJob(service="payment", name="sandbox-notifications", model=SandboxNotification,
                  pending=lambda: SandboxNotification.acknowledged.is_(False),
                  run=_deliver(send, settings),
                  order_by=lambda: SandboxNotification.next_attempt_at,
                  max_attempts=15, first_backoff_s=2, max_backoff_s=300, batch=limit)


def deliver_due(db: Database, send: Send = http_send, at: datetime | None = None,
                limit: int = 20, settings: PaymentSettings = DEFAULTS) -> int:
    """Send every due, unacknowledged notification once; return how many were sent."""
    return delivery(settings, send, limit).run_due(db, at).claimed


def notifications(db: Database, payment_id: str | None) -> list[dict]:
    """What the sandbox sent (admin view; end-to-end tests replay these)."""
    query = select(SandboxNotification).order_by(SandboxNotification.created_at)
    if payment_id is not None:
        query = query.where(SandboxNotification.payment_id == payment_id)
    with db.read() as session:
        rows = list(session.scalars(query.limit(200)))
    return [{"id": row.id, "provider": row.provider, "payment_id": row.payment_id,
             "outcome": row.outcome, "url": row.url, "body": row.body,
             "headers": json.loads(row.headers) if row.headers else None,
             "attempts": row.attempts, "acknowledged": row.acknowledged,
             "last_status": row.last_status, "created_at": row.created_at} for row in rows]


def submit_refund(db: Database, method: str, refund_id: str, payment_id: str,
                  amount: int) -> str:
    """Ask ``method``'s provider to refund; return its refund number.

    Only the sandbox is implemented (the caller checks it is on): it refunds at once (its
    own bookkeeping is the refund number, derived from the refund id so asking twice is
    the same refund).
    """
    return f"{method[:2].upper()}RF{refund_id}"[:64]


def notifier(settings: PaymentSettings) -> Callable[[Database], Callable[[threading.Event],
                                                                          None]]:
    """The worker loop that delivers the sandbox's notifications."""
    return delivery(settings).loop
