"""How carriers sign their tracking callbacks, and how they are checked.

A carrier sends ``X-Carrier-Timestamp`` (unix seconds) and ``X-Carrier-Signature``, the
hex HMAC-SHA256 of ``<timestamp>.<raw body>`` under the secret it shares with the shop.
Binding the timestamp into the signature and refusing old ones keeps a captured
callback from being replayed later; the event ids in it make a replay within the window
harmless anyway.

Secrets come from ``CARRIER_SECRETS`` (see ``logistics.settings``). When it is not set,
the embedded default uses the public demo secrets ``sandbox-secret-<carrier>``: never
run production without setting it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from logistics.domain import CALLBACK_CARRIERS, CallbackRefused, UnknownCarrier

TIMESTAMP_HEADER = "X-Carrier-Timestamp"
SIGNATURE_HEADER = "X-Carrier-Signature"
DEFAULT_MAX_AGE_S = 900
# Carrier clocks drift a little; a timestamp further ahead than this is refused.
FUTURE_TOLERANCE_S = 30
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^[0-9a-fA-F]{64}$")


def demo_secret(carrier: str) -> str:
    return f"sandbox-secret-{carrier}"


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """What a carrier sends as ``X-Carrier-Signature`` for ``body`` sent at ``timestamp``.

    Pure: tests and tools sign callbacks with it exactly as a carrier does.
    """
    raw = body.encode() if isinstance(body, str) else body
    message = str(timestamp).encode() + b"." + raw
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(carrier: str, secrets: Mapping[str, str], timestamp: str | None,
           signature: str | None, body: bytes, now: float, max_age_s: int) -> None:
    """Raise unless ``body`` is a fresh callback signed by ``carrier``.

    An unknown carrier is a 404; anything unsigned, wrongly signed, too old or from the
    future a 401. Nothing about the secret leaks through timing (constant-time compare).
    """
    if carrier not in CALLBACK_CARRIERS:
        raise UnknownCarrier(f"no carrier {carrier[:20]!r} sends callbacks")
    secret = secrets.get(carrier)
    if not secret:
        raise CallbackRefused(f"callbacks of {carrier} are not configured")
    if timestamp is None or signature is None:
        raise CallbackRefused(f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required")
    if not _TIMESTAMP.match(timestamp) or not _SIGNATURE.match(signature):
        raise CallbackRefused("the timestamp or signature is malformed")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.lower()):
        raise CallbackRefused("the signature does not match")
    age = now - int(timestamp)
    if age > max_age_s:
        raise CallbackRefused("the callback is too old", max_age_s=max_age_s)
    if age < -FUTURE_TOLERANCE_S:
        raise CallbackRefused("the callback's timestamp is in the future")
