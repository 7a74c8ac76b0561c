"""Cashier links of the provider sandbox, bound to one payment as a provider binds its own.

Creating a trade at a provider answers a redirect URL for that trade only; the sandbox's
(:func:`cashier_url`) carries a token signed with the sandbox's own secret over the
provider, the payment id and an expiry. Its cashier page and form refuse a request
without one that verifies (:func:`check_cashier_token`), so nobody can pay or fail a
payment whose link they were not given, and a link stops working after
``PAYMENT_CASHIER_TTL_S``. The secret is made once and kept in ``sandbox_keys``, as the
providers' keys are, so every API process signs and verifies alike.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from payment.models import Payment, SandboxKey
from payment.settings import PaymentSettings
from service_runtime.db import Database, insert_if_absent
from service_runtime.errors import Problem
from service_runtime.ids import utcnow as now

# The ``sandbox_keys`` row holding the secret that signs cashier links.
CASHIER_KEY = "cashier"
TOKEN = re.compile(r"([0-9]{1,12})\.([0-9a-f]{64})")


class CashierTokenInvalid(Problem):
    status, slug = 403, "cashier-token-invalid"
    title = "This cashier link is not one the provider gave for this payment"


class CashierTokenExpired(Problem):
    status, slug, title = 403, "cashier-token-expired", "This cashier link has expired"


def _cashier_secret(session: Session) -> str:
    """The secret cashier links are signed with, made once in the caller's transaction
    (a concurrent twin's insert is skipped and its secret read)."""
    query = select(SandboxKey.secret).where(SandboxKey.provider == CASHIER_KEY)
    secret = session.scalar(query)
    if secret is None:
        insert_if_absent(session, SandboxKey, provider=CASHIER_KEY,
                         secret=secrets.token_hex(32), created_at=now())
        secret = session.scalar(query)
    assert secret is not None
    return secret


def _token_signature(secret: str, provider: str, payment_id: str, expires: int) -> str:
    message = f"{provider}\n{payment_id}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def cashier_token(session: Session, provider: str, payment_id: str,
                  expires_at: datetime) -> str:
    """``<expiry in unix seconds>.<hex HMAC-SHA256 of provider, payment id and expiry>``."""
    expires = int(expires_at.timestamp())
    signature = _token_signature(_cashier_secret(session), provider, payment_id, expires)
    return f"{expires}.{signature}"


def cashier_url(session: Session, settings: PaymentSettings, provider: str, payment_id: str,
                created_at: datetime) -> str:
    """What the provider answers when the merchant creates a trade: where the buyer pays
    it, valid for this payment only and for ``settings.cashier_ttl_s`` seconds."""
    token = cashier_token(session, provider, payment_id,
                          created_at + timedelta(seconds=settings.cashier_ttl_s))
    return f"{settings.public_url}/api/v1/payments/sandbox/{provider}/{payment_id}?token={token}"


def check_cashier_token(db: Database, provider: str, payment_id: str, token: str | None,
                        at: datetime | None = None) -> None:
    """Refuse a missing or malformed token, one signed for another payment or provider
    or with another key, and an expired one."""
    match = TOKEN.fullmatch(token or "")
    if match is None:
        raise CashierTokenInvalid("open the link the shop gave for this payment")
    expires, signature = int(match[1]), match[2]
    with db.read() as session:
        secret = session.scalar(select(SandboxKey.secret)
                                .where(SandboxKey.provider == CASHIER_KEY))
    if secret is None or not hmac.compare_digest(
            _token_signature(secret, provider, payment_id, expires), signature):
        raise CashierTokenInvalid("the link is not signed for this payment")
    if (at or now()).timestamp() >= expires:
        raise CashierTokenExpired("start a new payment from the shop")


def start_trade(session: Session, settings: PaymentSettings, payment: Payment) -> None:
    """Create the trade at the provider: it answers the cashier link the buyer follows."""
    payment.next_action_url = cashier_url(session, settings, payment.method, payment.id,
                                          payment.created_at)

