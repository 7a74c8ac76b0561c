"""A rate limit guards its own routes only, per client, with a 429 problem past it."""

from __future__ import annotations

from flask import Blueprint, request

from service_runtime.app import create_app
from service_runtime.rate_limits import RateLimit


def limited_app(limit: str = "2/minute"):
    app = create_app("probe", openapi=False)
    tally = Blueprint("tally", __name__)
    tally.add_url_rule("/tally/a", "a", lambda: "a", methods=["GET", "POST", "OPTIONS"])
    tally.add_url_rule("/tally/b", "b", lambda: "b")
    app.register_blueprint(tally)
    app.add_url_rule("/free", "free", lambda: "free")
    guard = RateLimit(limit, "tally", "memory://",
                      lambda: request.headers.get("X-Client", "nobody"))
    guard.guard_blueprint(app, "tally")
    return app, guard


def test_a_client_past_the_limit_gets_a_429_problem_and_others_go_on():
    app, _ = limited_app()
    client = app.test_client()
    first = client.get("/tally/a", headers={"X-Client": "c1"})
    assert first.status_code == 200
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) \
        == ("2", "1")
    assert client.get("/tally/b", headers={"X-Client": "c1"}).status_code == 200, \
        "the blueprint's routes share one count"
    refused = client.get("/tally/a", headers={"X-Client": "c1"})
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert refused.json["type"] == "urn:shop:problem:too-many-requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert client.get("/tally/a", headers={"X-Client": "c2"}).status_code == 200


def test_preflights_and_other_routes_are_never_counted():
    app, guard = limited_app("1/minute")
    client = app.test_client()
    for _ in range(3):
        assert client.options("/tally/a", headers={"X-Client": "c1"}).status_code == 200
        free = client.get("/free", headers={"X-Client": "c1"})
        assert free.status_code == 200 and "X-RateLimit-Limit" not in free.headers
    assert guard.limiter.get_window_stats(guard.item, "tally", "c1").remaining == 1
    assert client.post("/tally/a", headers={"X-Client": "c1"}).status_code == 200
    assert client.post("/tally/a", headers={"X-Client": "c1"}).status_code == 429
