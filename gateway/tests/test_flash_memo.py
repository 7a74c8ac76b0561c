"""The gateway's sold-out memo: once the marketing service answered an attempt on a flash
item ``sold-out``, the next attempts on that item are answered by the gateway, with no
token check and no hop; nothing else is kept."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask, request

from api_gateway.app import create_app
from api_gateway.routes import SERVICES, Upstreams
from api_gateway.settings import GatewaySettings
from service_runtime.auth import jwks
from service_runtime.testing.plugin import bearer
from service_runtime.testing.processes import served

PROBLEM = "application/problem+json"
ATTEMPTS = "/api/v1/flash-sales/{}/items/SKU-1/attempts"


def marketing_app(seen: list[str]) -> Flask:
    """Sessions ``fs_out`` (sold out) and ``fs_limit`` (the caller is at the limit)."""
    app = Flask("marketing")

    @app.post("/api/v1/flash-sales/<session_id>/items/<sku>/attempts")
    def attempt(session_id: str, sku: str):
        seen.append(session_id)
        if "Authorization" not in request.headers:
            return app.response_class('{"type":"urn:shop:problem:unauthorized"}', 401,
                                      mimetype=PROBLEM)
        slug = {"fs_out": "sold-out", "fs_limit": "limit-reached"}.get(session_id)
        if slug is None:
            return {"attempt_id": "fsa_1", "status": "pending"}, 202
        return app.response_class(f'{{"type":"urn:shop:problem:{slug}","status":409}}', 409,
                                  mimetype=PROBLEM)

    return app


@pytest.fixture
def seen() -> list[str]:
    return []


def gateway_for(url: str, signing_key, memo_ms: int):  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(GatewaySettings.from_env(), flash_sold_out_memo_ms=memo_ms)
    app = create_app(config={"AUTH_JWKS": jwks(signing_key)},
                     upstreams=Upstreams({name: url for name in SERVICES}), settings=settings)
    return app.test_client()


@pytest.fixture
def marketing(seen):  # type: ignore[no-untyped-def]
    with served(marketing_app(seen)) as url:
        yield url


def test_a_sold_out_item_is_answered_by_the_gateway_without_a_token_check(
        marketing, seen, signing_key):
    gateway = gateway_for(marketing, signing_key, 60_000)
    path = ATTEMPTS.format("fs_out")
    first = gateway.post(path, json={"quantity": 1}, headers=bearer(signing_key, "u-1"))
    assert first.status_code == 409 and first.json["type"].endswith(":sold-out")
    again = gateway.post(path, json={"quantity": 1}, headers=bearer(signing_key, "u-2"))
    # A token the gateway would refuse is not checked: the answer is public anyway.
    forged = gateway.post(path, json={}, headers={"Authorization": "Bearer not-a-jwt"})
    assert (again.status_code, forged.status_code) == (409, 409)
    assert again.get_data() == first.get_data() and again.content_type == PROBLEM
    assert again.headers.get("X-Request-ID")
    assert seen == ["fs_out"]  # only the first went upstream
    anonymous = gateway.post(path, json={"quantity": 1})
    assert anonymous.status_code == 401 and seen == ["fs_out", "fs_out"]


def test_other_answers_and_other_items_still_go_upstream(marketing, seen, signing_key):
    gateway = gateway_for(marketing, signing_key, 60_000)
    gateway.post(ATTEMPTS.format("fs_out"), json={}, headers=bearer(signing_key, "u-1"))
    for _ in range(2):
        limit = gateway.post(ATTEMPTS.format("fs_limit"), json={},
                             headers=bearer(signing_key, "u-1"))
        won = gateway.post(ATTEMPTS.format("fs_open"), json={},
                           headers=bearer(signing_key, "u-1"))
        assert (limit.status_code, won.status_code) == (409, 202)
    assert seen == ["fs_out", "fs_limit", "fs_open", "fs_limit", "fs_open"]
    bad = gateway.post(ATTEMPTS.format("fs_open"), json={},
                       headers={"Authorization": "Bearer not-a-jwt"})
    assert bad.status_code == 401 and len(seen) == 5  # refused at the gateway as before


def test_a_memo_of_zero_keeps_nothing(marketing, seen, signing_key):
    gateway = gateway_for(marketing, signing_key, 0)
    for _ in range(2):
        gateway.post(ATTEMPTS.format("fs_out"), json={}, headers=bearer(signing_key, "u-1"))
    assert seen == ["fs_out", "fs_out"]


def test_once_the_memo_lapses_one_attempt_asks_upstream_the_others_are_still_answered(
        monkeypatch):
    from flask import Response

    from api_gateway import flash_memo

    clock = [1000.0]
    monkeypatch.setattr(flash_memo, "time", type("Clock", (), {
        "monotonic": staticmethod(lambda: clock[0])}))
    memo, app = flash_memo.SoldOutMemo(0.5), Flask("memo")
    path = ATTEMPTS.format("fs_out")
    sold_out = Response('{"type":"urn:shop:problem:sold-out"}', 409, mimetype=PROBLEM)

    def ask(answer: Response | None = None) -> bool:
        """True if the memo answered; else ``answer`` is what upstream said."""
        with app.test_request_context(path, method="POST",
                                      headers={"Authorization": "Bearer t"}) as context:
            if memo.answer(context.request) is not None:
                return True
            if answer is not None:
                memo.learn(context.request, answer)
            return False

    assert not ask(sold_out) and ask()
    clock[0] += 1  # lapsed
    assert not ask()  # this one asks upstream; its answer has not come yet
    assert ask() and ask()  # meanwhile the others are answered from the memo
    clock[0] += 0.6  # the one asking never came back: another one asks
    assert not ask(Response('{"attempt_id":"fsa_1"}', 202, mimetype="application/json"))
    assert not ask(sold_out)  # a unit was sold: the memo is gone until found sold out again
    assert ask()
