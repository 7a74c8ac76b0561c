"""The hand-made and fuzzed requests of issue 8 that used to be 500s (or worse, answered
as if they were something else), sent through the real gateway to the real services:
each is a 4xx problem and changes nothing."""

from __future__ import annotations

import uuid

import pytest
import requests

from e2e_steps import MUG, sign_up, wallet_balance

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def mallory(stack) -> dict[str, str]:
    return sign_up(stack, "mallory")


def assert_problem(response: requests.Response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == status
    if slug:
        assert problem["type"] == f"urn:shop:problem:{slug}"
    return problem


def send_json(http: requests.Session, method: str, url: str, body: str,
              headers: dict | None = None) -> requests.Response:
    """``body`` exactly as written (a JSON library would refuse to write most of these)."""
    return http.request(method, url, data=body.encode(),
                        headers={**(headers or {}), "Content-Type": "application/json",
                                 "Idempotency-Key": uuid.uuid4().hex})


DEEP = "[" * 1000 + "]" * 1000
HUGE = "9" * 5000
SURROGATE = '"\\ud800"'


def test_json_nested_1000_levels_deep_is_a_400_on_every_json_body_route(stack, http, mallory):
    routes = [("POST", "/api/v1/auth/login", f'{{"login":{DEEP},"password":"x"}}'),
              ("POST", "/api/v1/cart/items", f'{{"sku":{DEEP},"quantity":1}}'),
              ("POST", "/api/v1/orders", f'{{"lines":{DEEP}}}'),
              ("POST", "/api/v1/wallet/top-ups", f'{{"amount":{DEEP},"method":"alipay"}}'),
              ("POST", "/api/v1/tickets", f'{{"subject":"s","message":{DEEP}}}')]
    for method, path, body in routes:
        problem = assert_problem(send_json(http, method, stack.url(path), body, mallory), 400,
                                 "malformed-request")
        assert "deeper than" in problem["detail"], path


def test_integer_literals_of_5000_digits_are_a_400_and_change_nothing(stack, http, mallory):
    cart = http.get(stack.url("/api/v1/cart"), headers=mallory).json()
    balance = wallet_balance(stack, http, mallory)
    tickets = http.get(stack.url("/api/v1/tickets"), headers=mallory).json()
    routes = [("/api/v1/auth/login", f'{{"login":{HUGE},"password":"x"}}'),
              ("/api/v1/cart/items", f'{{"sku":"{MUG}","quantity":{HUGE}}}'),
              ("/api/v1/wallet/top-ups", f'{{"amount":{HUGE},"method":"alipay"}}'),
              ("/api/v1/wallet/withdrawals",
               f'{{"amount":{HUGE},"bank_account":"6222020200112233445"}}'),
              ("/api/v1/tickets", f'{{"subject":"s","message":"m","order_id":{HUGE}}}')]
    for path, body in routes:
        problem = assert_problem(send_json(http, "POST", stack.url(path), body, mallory), 400,
                                 "malformed-request")
        assert "digits" in problem["detail"], path
    assert http.get(stack.url("/api/v1/cart"), headers=mallory).json() == cart
    assert wallet_balance(stack, http, mallory) == balance
    assert http.get(stack.url("/api/v1/tickets"), headers=mallory).json() == tickets


def test_lone_surrogates_are_a_400_and_change_nothing(stack, http, mallory):
    profile = http.get(stack.url("/api/v1/users/me"), headers=mallory).json()
    tickets = http.get(stack.url("/api/v1/tickets"), headers=mallory).json()
    email = f"eve-{uuid.uuid4().hex[:8]}@e2e.test"
    routes = [("POST", "/api/v1/auth/login", f'{{"login":{SURROGATE},"password":"x"}}', None),
              ("POST", "/api/v1/auth/register",
               f'{{"email":"{email}","password":"e2e-password-1","nickname":{SURROGATE}}}',
               None),
              ("PATCH", "/api/v1/users/me", f'{{"nickname":{SURROGATE}}}', mallory),
              ("POST", "/api/v1/tickets", f'{{"subject":{SURROGATE},"message":"m"}}', mallory)]
    for method, path, body, headers in routes:
        problem = assert_problem(send_json(http, method, stack.url(path), body, headers), 400,
                                 "malformed-request")
        assert "surrogate" in problem["detail"], path
    assert http.get(stack.url("/api/v1/users/me"), headers=mallory).json() == profile
    assert http.get(stack.url("/api/v1/tickets"), headers=mallory).json() == tickets
    # The registration did not happen: the address is still free.
    registered = http.post(stack.url("/api/v1/auth/register"),
                           json={"email": email, "password": "e2e-password-1"})
    assert registered.status_code == 201, registered.text


@pytest.mark.parametrize("path", ["/api/v1/products/9223372036854775808/reviews",
                                  "/api/v1/products/2147483648/reviews",
                                  "/api/v1/products/9223372036854775808",
                                  # any longer and gunicorn answers 414 first
                                  f"/api/v1/products/{'9' * 4000}/reviews"])
def test_ids_no_column_can_hold_are_404_problems(stack, http, path):
    assert_problem(http.get(stack.url(path)), 404, "not-found")


@pytest.mark.parametrize("query", [{"limit": "9" * 4000}, {"limit": 2**63}, {"category": 2**31}])
def test_out_of_range_query_integers_are_422_problems(stack, http, query):
    assert_problem(http.get(stack.url("/api/v1/products"), params=query), 422,
                   "validation-error")


def test_an_overlong_uri_is_a_414_problem_and_too_many_headers_a_431(stack, http):
    assert_problem(http.get(stack.url("/api/v1/products?q=" + "a" * 9000)), 414)
    many = {f"X-Filler-{i}": "v" for i in range(150)}
    assert_problem(http.get(stack.url("/api/v1/products"), headers=many), 431)
    assert_problem(http.get(stack.url("/api/v1/products"), headers={"X-Big": "v" * 9000}), 431)


def test_an_encoded_question_mark_or_hash_stays_in_the_id(stack, http, mallory):
    book = http.get(stack.url("/api/v1/users/me/addresses"), headers=mallory).json()
    address_id = book[0]["id"]
    # Decoded, these became /addresses/<id>?x (the address) and /addresses/<id># (deleted).
    assert_problem(http.get(stack.url(f"/api/v1/users/me/addresses/{address_id}%3Fx"),
                            headers=mallory), 404)
    assert_problem(http.delete(stack.url(f"/api/v1/users/me/addresses/{address_id}%23"),
                               headers=mallory), 404)
    assert http.get(stack.url("/api/v1/users/me/addresses"), headers=mallory).json() == book


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/returns", "/api/v1/tickets",
                                  "/api/v1/wallet", "/api/v1/products",
                                  "/api/v1/products/1/reviews"])
def test_a_garbage_cursor_is_a_422_naming_the_cursor_on_every_list(stack, http, mallory, path):
    problem = assert_problem(http.get(stack.url(path), params={"cursor": "garbage"},
                                      headers=mallory), 422, "validation-error")
    assert [e["field"] for e in problem["errors"]] == ["cursor"]


@pytest.mark.parametrize("path", ["/api/v1/admin/shipments", "/api/v1/admin/returns",
                                  "/api/v1/admin/tickets"])
def test_a_garbage_cursor_is_a_422_on_the_admin_lists_too(stack, http, admin, path):
    problem = assert_problem(http.get(stack.url(path), params={"cursor": "garbage"},
                                      headers=admin), 422, "validation-error")
    assert [e["field"] for e in problem["errors"]] == ["cursor"]
