"""``python -m user load-test-shoppers``: accounts made in bulk sign in and shop like any."""

from __future__ import annotations

import pytest

from service_runtime.testing.plugin import ServiceUnderTest
from user.app import create_app
from user.definition import DEFINITION
from user.load_test_shoppers import make_shoppers


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app)


def test_bulk_shoppers_are_signed_in_with_an_address_and_their_password(app, client, db):
    made = list(make_shoppers(db, 3, "load-pass-123", app.extensions["auth_settings"],
                              prefix="storm"))
    assert [s.email for s in made] == [f"storm-{n}@load.test" for n in range(3)]
    assert len({s.user_id for s in made}) == 3
    for shopper in made:
        me = client.get("/api/v1/users/me",
                        headers={"Authorization": f"Bearer {shopper.access_token}"})
        assert me.status_code == 200 and me.json["id"] == shopper.user_id
        book = client.get("/api/v1/users/me/addresses",
                          headers={"Authorization": f"Bearer {shopper.access_token}"}).json
        assert [(a["id"], a["is_default"]) for a in book] == [(shopper.address_id, True)]
    signed_in = client.post("/api/v1/auth/login",
                            json={"login": "storm-1@load.test", "password": "load-pass-123"})
    assert signed_in.status_code == 200
    wrong = client.post("/api/v1/auth/login",
                        json={"login": "storm-1@load.test", "password": "not-it-123"})
    assert wrong.status_code == 401
