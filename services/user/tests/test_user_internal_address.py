"""``GET /internal/users/{user_id}/addresses/{address_id}``: the order worker reads a
flash-sale winner's address without the buyer's token."""

from __future__ import annotations

import pytest

from service_runtime.testing.plugin import ServiceUnderTest
from user.app import create_app
from user.definition import DEFINITION

PASSWORD = "correct horse 42"
ADDRESS = {"recipient": "李雷", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
           "district": "西湖区", "detail": "文三路 100 号"}


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app)


def signed_in(client, email: str) -> tuple[str, dict]:
    user_id = client.post("/api/v1/auth/register",
                          json={"email": email, "password": PASSWORD}).json["user_id"]
    tokens = client.post("/api/v1/auth/login", json={"login": email, "password": PASSWORD}).json
    return user_id, {"Authorization": f"Bearer {tokens['access_token']}"}


def test_the_internal_read_answers_the_users_own_address_and_nobody_elses(client):
    alice, alice_auth = signed_in(client, "a@y.cn")
    bob, _ = signed_in(client, "b@y.cn")
    address = client.post("/api/v1/users/me/addresses", json=ADDRESS, headers=alice_auth).json
    read = client.get(f"/internal/users/{alice}/addresses/{address['id']}")
    assert read.status_code == 200 and read.json == address
    assert client.get(f"/internal/users/{bob}/addresses/{address['id']}").status_code == 404
    missing = client.get(f"/internal/users/{alice}/addresses/adr_nope")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
