"""The real user service for other services' tests: served over HTTP with given address
books, trusting the tests' signing key, so a checkout can read an address as it does in
production (``USER_SERVICE_URL``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from service_runtime.auth import SigningKey
from service_runtime.ids import utcnow
from service_runtime.testing.checks import migrated_app
from service_runtime.testing.processes import served
from user.app import create_app
from user.definition import DEFINITION
from user.models import Address, SigningKeyRow

# An address as the address book stores it (what checkout copies into an order).
HOME = {"recipient": "李雷", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
        "district": "西湖区", "detail": "文三路 100 号", "postal_code": "310000"}


@contextmanager
def serving_address_books(database_url: str, signing_key: SigningKey,
                          addresses: Mapping[str, tuple[str, Mapping[str, str | None]]],
                          ) -> Iterator[str]:
    """The user service on a fresh database, holding ``addresses`` ({address id: (user id,
    fields)}) and the key the tests' tokens are signed with; yields its base URL."""
    with migrated_app(DEFINITION, create_app, database_url) as app:
        with app.extensions["db"].transaction() as session:
            session.add(SigningKeyRow(kid=signing_key.kid, private_pem=signing_key.private_pem(),
                                      created_at=utcnow()))
            for address_id, (user_id, fields) in addresses.items():
                session.add(Address(id=address_id, user_id=user_id, is_default=True,
                                    created_at=utcnow(), **fields))
        with served(app) as url:
            yield url
