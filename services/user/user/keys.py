"""The keys access tokens are signed with, and their public half for every verifier (JWKS)."""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service_runtime.auth import SigningKey, jwks
from service_runtime.db import Database
from service_runtime.ids import utcnow as now
from user.models import SigningKeyRow

_keys_lock = threading.Lock()
_keys: dict[str, list[SigningKey]] = {}


def signing_keys(db: Database) -> list[SigningKey]:
    """The service's signing keys, newest first; the first use creates one."""
    with _keys_lock:
        if db.url not in _keys:
            _keys[db.url] = _load_or_create_keys(db)
        return _keys[db.url]


def _load_or_create_keys(db: Database) -> list[SigningKey]:
    with db.read() as session:
        rows = list(session.scalars(select(SigningKeyRow).order_by(
            SigningKeyRow.created_at.desc())))
    if not rows:
        key = SigningKey.generate()
        try:
            with db.transaction() as session:
                session.add(SigningKeyRow(kid=key.kid, private_pem=key.private_pem(),
                                          created_at=now()))
        except IntegrityError:
            pass
        # Another process may have created one at the same moment: read back what is stored.
        with db.read() as session:
            rows = list(session.scalars(select(SigningKeyRow).order_by(
                SigningKeyRow.created_at.desc())))
    return [SigningKey.from_pem(row.private_pem, row.kid) for row in rows]


def public_jwks(db: Database) -> dict:
    return jwks(*signing_keys(db))
