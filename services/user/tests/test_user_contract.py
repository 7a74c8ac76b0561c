"""The user service answers what other services' tests expect of it: the examples in
``event_contracts/http_examples/user.json`` that their stubs answer (e.g. the order
service's checkout reading an address)."""

from __future__ import annotations

import pytest

from service_runtime.testing.contracts import assert_answers_as_documented, http_answer
from service_runtime.testing.plugin import ServiceUnderTest
from user.app import create_app
from user.definition import DEFINITION

PASSWORD = "correct horse 42"
# What the store sets itself, not the caller: the example shows it with fixed values.
ASSIGNED = ("id", "created_at", "is_default")


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app)


@pytest.fixture
def customer(client) -> dict:
    assert client.post("/api/v1/auth/register",
                       json={"email": "li@y.cn", "password": PASSWORD}).status_code == 201
    tokens = client.post("/api/v1/auth/login", json={"login": "li@y.cn", "password": PASSWORD})
    return {"Authorization": f"Bearer {tokens.json['access_token']}"}


@pytest.fixture
def document(client) -> dict:
    return client.get("/openapi.json").json


def test_an_address_in_the_callers_book_is_answered_as_the_example_says(
        client, customer, document):
    _, example = http_answer("user", "found")
    fields = {name: value for name, value in example.items() if name not in ASSIGNED}
    created = client.post("/api/v1/users/me/addresses", json=fields, headers=customer)
    assert created.status_code == 201, created.json
    response = client.get(f"/api/v1/users/me/addresses/{created.json['id']}", headers=customer)
    answered = {**response.json, "id": example["id"], "created_at": example["created_at"]}
    assert_answers_as_documented(document, "user", "found", response.status_code, answered)


def test_an_address_not_in_the_callers_book_is_answered_as_the_example_says(
        client, customer, document):
    response = client.get("/api/v1/users/me/addresses/addr_unknown", headers=customer)
    assert_answers_as_documented(document, "user", "not_in_your_book",
                                 response.status_code, response.json)
