"""An ended sign-in is ended everywhere within seconds: the gateway and every service
refuse its access token long before the token would expire; a new sign-in works."""

from __future__ import annotations

import uuid

import requests

from service_runtime.testing.processes import wait_until

PASSWORD = "session-password-7"


def tokens_for(stack, http: requests.Session, email: str) -> dict:
    response = http.post(stack.url("/api/v1/auth/login"),
                         json={"login": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def places(stack) -> list[str]:
    """Where a token is verified: the gateway (its own check, even on a public catalog
    route, and in front of the user service) and two services' own APIs."""
    return [stack.url("/api/v1/categories"), stack.url("/api/v1/users/me"),
            f"{stack.api_urls['payment']}/api/v1/wallet",
            f"{stack.api_urls['order']}/api/v1/orders"]


def answers(http: requests.Session, urls: list[str], tokens: dict) -> list[requests.Response]:
    return [http.get(url, headers=bearer(tokens)) for url in urls]


def revoked(response: requests.Response) -> bool:
    return (response.status_code == 401
            and response.headers["Content-Type"] == "application/problem+json"
            and response.json().get("reason") == "token-revoked")


def test_a_signed_out_access_token_is_refused_everywhere_within_seconds(stack, http):
    email = f"leaving-{uuid.uuid4().hex[:8]}@e2e.test"
    assert http.post(stack.url("/api/v1/auth/register"),
                     json={"email": email, "password": PASSWORD}).status_code == 201
    tokens = tokens_for(stack, http, email)
    assert [a.status_code for a in answers(http, places(stack), tokens)] == [200] * 4

    assert http.post(stack.url("/api/v1/auth/logout"),
                     json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    wait_until(lambda: all(revoked(a) for a in answers(http, places(stack), tokens)),
               timeout=10, interval=0.2, message="the signed-out token to be refused everywhere")
    # Each gunicorn worker keeps its own list: whichever worker answers, it is refused.
    for _ in range(5):
        assert all(revoked(a) for a in answers(http, places(stack), tokens))

    again = tokens_for(stack, http, email)
    assert [a.status_code for a in answers(http, places(stack), again)] == [200] * 4


def test_a_replayed_refresh_token_ends_the_sign_in_everywhere(stack, http):
    email = f"stolen-{uuid.uuid4().hex[:8]}@e2e.test"
    assert http.post(stack.url("/api/v1/auth/register"),
                     json={"email": email, "password": PASSWORD}).status_code == 201
    stolen = tokens_for(stack, http, email)
    renewed = http.post(stack.url("/api/v1/auth/refresh"),
                        json={"refresh_token": stolen["refresh_token"]}).json()
    assert http.post(stack.url("/api/v1/auth/refresh"),
                     json={"refresh_token": stolen["refresh_token"]}).status_code == 401
    wait_until(lambda: all(revoked(a) for a in answers(http, places(stack), renewed)),
               timeout=10, interval=0.2, message="the whole sign-in to be refused")


def test_the_deny_list_is_not_reachable_through_the_gateway(stack, http):
    assert http.get(stack.url("/internal/revocations")).status_code == 404
    assert http.get(f"{stack.api_urls['user']}/internal/revocations").status_code == 200
