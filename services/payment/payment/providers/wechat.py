"""WeChat Pay API v3 payment notifications.

The body is JSON whose ``resource`` holds the transaction, encrypted with the
merchant's APIv3 key (AEAD_AES_256_GCM, with ``nonce`` and ``associated_data``). The
headers sign the body: ``Wechatpay-Signature`` is base64 RSA-SHA256 of
``"{Wechatpay-Timestamp}\\n{Wechatpay-Nonce}\\n{body}\\n"`` with the WeChat Pay platform
key named by ``Wechatpay-Serial``. The merchant answers 200 or 204; anything else
makes WeChat Pay retry.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payment.domain import Provider
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

NAME = Provider.WECHAT
ACK = Ack(204, "", "text/plain")
ALGORITHM = "AEAD_AES_256_GCM"


def signing_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def encrypt(apiv3_key: str, plaintext: bytes, nonce: str, associated_data: str) -> str:
    """base64 of AES-256-GCM ciphertext+tag, as ``resource.ciphertext`` carries it."""
    sealed = AESGCM(_key(apiv3_key)).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return base64.b64encode(sealed).decode()


def decrypt(apiv3_key: str, ciphertext_b64: str, nonce: str, associated_data: str) -> bytes:
    """The plaintext of ``resource``, or InvalidSignature if it was not sealed with our key."""
    try:
        return AESGCM(_key(apiv3_key)).decrypt(
            nonce.encode(), base64.b64decode(ciphertext_b64, validate=True),
            associated_data.encode())
    except (InvalidTag, ValueError):
        raise InvalidSignature("the resource does not decrypt with our APIv3 key") from None


def _key(apiv3_key: str) -> bytes:
    key = apiv3_key.encode()
    if len(key) != 32:
        raise ValueError("a WeChat Pay APIv3 key is 32 bytes")
    return key


def build(trade: Trade, keys: SigningKeys, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The notification WeChat Pay would POST for ``trade``."""
    assert keys.private_key is not None and keys.secret is not None
    resource = {
        "mchid": keys.app_id or "",
        "out_trade_no": trade.payment_id,
        "transaction_id": trade.trade_no,
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS" if trade.succeeded else "PAYERROR",
        "trade_state_desc": "支付成功" if trade.succeeded else "支付失败",
        "amount": {"total": trade.amount, "payer_total": trade.amount,
                   "currency": trade.currency, "payer_currency": trade.currency},
        "success_time": now.astimezone(BEIJING).isoformat(timespec="seconds"),
    }
    nonce = secrets.token_hex(6)  # 12 characters, as the AES-GCM nonce
    body = json.dumps({
        "id": trade.notify_id,
        "create_time": now.astimezone(BEIJING).isoformat(timespec="seconds"),
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS" if trade.succeeded else "TRANSACTION.PAYERROR",
        "summary": "支付成功" if trade.succeeded else "支付失败",
        "resource": {
            "original_type": "transaction",
            "algorithm": ALGORITHM,
            "ciphertext": encrypt(keys.secret,
                                  json.dumps(resource, ensure_ascii=False).encode(),
                                  nonce, "transaction"),
            "associated_data": "transaction",
            "nonce": nonce,
        },
    }, ensure_ascii=False).encode()
    timestamp, header_nonce = str(int(now.timestamp())), uuid.uuid4().hex.upper()
    return body, {
        "Content-Type": "application/json",
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": header_nonce,
        "Wechatpay-Serial": keys.serial or "",
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Wechatpay-Signature": rsa_sign(keys.private_key,
                                        signing_message(timestamp, header_nonce, body)),
    }


def parse(body: bytes, headers: Mapping[str, str], credentials: Credentials) -> Notification:
    """Verify the headers' signature with the platform public key, decrypt, read."""
    timestamp = headers.get("Wechatpay-Timestamp", "")
    nonce = headers.get("Wechatpay-Nonce", "")
    if credentials.serial and headers.get("Wechatpay-Serial") != credentials.serial:
        raise InvalidSignature("signed with an unknown platform certificate serial")
    if credentials.public_key is None or credentials.secret is None or not rsa_verify(
            credentials.public_key, signing_message(timestamp, nonce, body),
            headers.get("Wechatpay-Signature")):
        raise InvalidSignature("the WeChat Pay signature does not verify")
    try:
        sent_at = datetime.fromtimestamp(int(timestamp), UTC)
        document = json.loads(body)
        resource = document["resource"]
        if resource.get("algorithm") != ALGORITHM:
            raise ValueError(f"unsupported algorithm {resource.get('algorithm')!r}")
        transaction = json.loads(decrypt(credentials.secret, resource["ciphertext"],
                                         resource["nonce"], resource.get("associated_data", "")))
        state = transaction["trade_state"]
        amount = transaction["amount"]["total"]
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ValueError("amount.total must be an integer number of fen")
        return Notification(
            provider=NAME, notify_id=str(document["id"]),
            payment_id=transaction["out_trade_no"], trade_no=transaction["transaction_id"],
            succeeded=state == "SUCCESS", amount=amount,
            currency=transaction["amount"]["currency"], sent_at=sent_at, detail=state)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise NotificationRefused(f"malformed notification: {exc}") from None


def acknowledged(status: int, text: str) -> bool:
    """WeChat Pay stops resending on 200 or 204."""
    return status in (200, 204)
