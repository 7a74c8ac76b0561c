"""Shoppers for load tests and benchmarks, made in bulk: an account, a default address and
a signed-in token pair each, without paying for a password hash per account.

A storm of 2,000 buyers would otherwise cost 4,000 argon2 computations (sign-up and
sign-in) before the first request that is measured; here the one password's hash is made
once and the tokens are issued as a sign-in issues them (a refresh-token family each, so
they are revocable like any other)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from service_runtime.auth import CUSTOMER, AuthSettings
from service_runtime.db import Database
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from user.accounts import hasher, outbox
from user.keys import signing_keys
from user.models import Address, User
from user.tokens import issue_pair

ADDRESS = {"recipient": "压测用户", "phone": "13900139000", "province": "上海市",
           "city": "上海市", "district": "徐汇区", "detail": "漕溪北路 88 号"}
BATCH = 200  # accounts per transaction


@dataclass(frozen=True)
class LoadTestShopper:
    user_id: str
    email: str
    access_token: str
    address_id: str


def make_shoppers(db: Database, count: int, password: str, settings: AuthSettings,
                  prefix: str | None = None) -> Iterator[LoadTestShopper]:
    """``count`` new shoppers ``<prefix>-<n>@load.test`` sharing ``password``."""
    password_hash = hasher.hash(password)
    prefix = prefix or f"load-{secrets.token_hex(3)}"
    key = signing_keys(db)[0]
    for start in range(0, count, BATCH):
        made = []
        with db.transaction() as session:
            for n in range(start, min(count, start + BATCH)):
                at = now()
                email = f"{prefix}-{n}@load.test"
                user = User(id=time_ordered_id("usr"), email=email, phone=None,
                            password_hash=password_hash, nickname=f"{prefix}-{n}"[:40],
                            role=CUSTOMER, failed_logins=0, locked_until=None, created_at=at)
                address = Address(id=time_ordered_id("addr"), user_id=user.id, is_default=True,
                                  created_at=at, **ADDRESS)
                session.add_all([user, address])
                session.flush()
                outbox.emit(session, "UserRegistered", key=user.id, data={
                    "user_id": user.id, "email": email, "phone": None,
                    "nickname": user.nickname, "registered_at": at.isoformat()})
                tokens = issue_pair(session, key, user, secrets.token_hex(16), settings)
                made.append(LoadTestShopper(user.id, email, tokens.access_token, address.id))
        yield from made
