"""Alipay asynchronous notifications (``notify_url``), RSA2.

Alipay POSTs form-encoded parameters; ``sign`` is base64 RSA-SHA256 over the other
parameters (except ``sign`` and ``sign_type``, empty values skipped) sorted by key and
joined as ``k=v&k=v``. The merchant verifies with Alipay's public key and answers the
plain text ``success``; anything else makes Alipay retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from payment.domain import Provider, fen_to_yuan, yuan_to_fen
from payment.providers import (
    BEIJING,
    Ack,
    Credentials,
    InvalidSignature,
    Notification,
    NotificationRefused,
    SigningKeys,
    Trade,
)
from payment.providers.crypto import rsa_sign, rsa_verify

NAME = Provider.ALIPAY
ACK = Ack(200, "success", "text/plain")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SUCCESS_STATES = ("TRADE_SUCCESS", "TRADE_FINISHED")
FAILURE_STATES = ("TRADE_CLOSED",)
CURRENCY = "CNY"  # total_amount is always in yuan


def signing_content(params: Mapping[str, str]) -> str:
    """The string Alipay signs: sorted ``k=v`` pairs without sign/sign_type or empty values."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params)
                    if key not in ("sign", "sign_type") and params[key] != "")


def sign(params: Mapping[str, str], private_pem: str) -> str:
    return rsa_sign(private_pem, signing_content(params).encode())


def verify(params: Mapping[str, str], public_pem: str) -> bool:
    return params.get("sign_type") == "RSA2" and rsa_verify(
        public_pem, signing_content(params).encode(), params.get("sign"))


def build(trade: Trade, keys: SigningKeys, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The notification Alipay would POST for ``trade``, signed with ``keys.private_key``."""
    assert keys.private_key is not None
    params = {
        "notify_id": trade.notify_id,
        "notify_time": now.astimezone(BEIJING).strftime(TIME_FORMAT),
        "notify_type": "trade_status_sync",
        "app_id": keys.app_id or "",
        "charset": "utf-8",
        "version": "1.0",
        "out_trade_no": trade.payment_id,
        "trade_no": trade.trade_no,
        "trade_status": "TRADE_SUCCESS" if trade.succeeded else "TRADE_CLOSED",
        "total_amount": fen_to_yuan(trade.amount),
    }
    params["sign"] = sign(params, keys.private_key)
    params["sign_type"] = "RSA2"
    return urlencode(params).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


def parse(body: bytes, headers: Mapping[str, str], credentials: Credentials) -> Notification:
    """Verify a notification with Alipay's public key, then read it."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise InvalidSignature("not a form-encoded Alipay notification") from None
    params = dict(pairs)
    if len(params) != len(pairs):
        raise InvalidSignature("a parameter appears twice")
    if credentials.public_key is None or not verify(params, credentials.public_key):
        raise InvalidSignature("the Alipay signature does not verify")
    if credentials.app_id and params.get("app_id") != credentials.app_id:
        raise NotificationRefused("the notification is for another app_id")
    status = params.get("trade_status", "")
    if status not in SUCCESS_STATES + FAILURE_STATES:
        raise NotificationRefused(f"trade_status {status!r} is not a final state")
    try:
        sent_at = datetime.strptime(params["notify_time"], TIME_FORMAT).replace(tzinfo=BEIJING)
        amount = yuan_to_fen(params["total_amount"])
        return Notification(
            provider=NAME, notify_id=params["notify_id"], payment_id=params["out_trade_no"],
            trade_no=params["trade_no"], succeeded=status in SUCCESS_STATES, amount=amount,
            currency=CURRENCY, sent_at=sent_at, detail=status)
    except (KeyError, ValueError) as exc:
        raise NotificationRefused(f"malformed notification: {exc}") from None


def acknowledged(status: int, text: str) -> bool:
    """Alipay stops resending only on the plain text ``success``."""
    return status == 200 and text.strip() == "success"
