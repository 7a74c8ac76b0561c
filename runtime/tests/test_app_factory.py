"""The shared app factory: problem+json for every error, ids, logs, ops endpoints."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service_runtime import context
from service_runtime.app import ReadinessCheck, create_app
from service_runtime.blueprint import Blueprint
from service_runtime.db import Database
from service_runtime.errors import Conflict


class ThingSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(max=10))
    count = fields.Integer(required=True, strict=True)


blp = Blueprint("things", __name__, url_prefix="/api/v1/things")
seen_correlation: list[str | None] = []


@blp.route("")
class Things(MethodView):
    @blp.arguments(ThingSchema)
    @blp.response(201, ThingSchema)
    def post(self, body):
        seen_correlation.append(context.correlation_id.get())
        if body["name"] == "taken":
            raise Conflict("that name is taken", name=body["name"])
        if body["name"] == "boom":
            raise RuntimeError("a bug")
        logging.getLogger("things").info("thing made")
        return body


def failing() -> None:
    raise ConnectionError("down")


@pytest.fixture
def app():
    db = Database("sqlite://")
    return create_app("things", blueprints=[blp], db=db,
                      readiness=[ReadinessCheck("optional", failing, required=False)],
                      config={"MAX_CONTENT_LENGTH": 1024})


@pytest.fixture
def client(app):
    return app.test_client()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.data
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == status
    assert body["type"].startswith("urn:shop:problem:")
    assert body["title"]
    return body


def test_validation_errors_list_every_bad_field(client):
    body = problem(client.post("/api/v1/things", json={"name": "x" * 11, "count": "3"}), 422)
    assert body["type"] == "urn:shop:problem:validation-error"
    assert sorted(e["field"] for e in body["errors"]) == ["count", "name"]
    assert all(e["location"] == "json" and e["messages"] for e in body["errors"])


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"data": "{nope", "content_type": "application/json"}, 400),
    ({"json": [1, 2]}, 422),
    ({"data": json.dumps({"name": "a" * 2000, "count": 1}), "content_type": "application/json"},
     413),
])
def test_malformed_wrong_shaped_and_oversize_bodies_are_4xx(client, kwargs, status):
    problem(client.post("/api/v1/things", **kwargs), status)


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("get", "/api/v1/things/a%00b", {}),
    ("get", "/api/v1/things?name=a%00b", {}),
    ("post", "/api/v1/things", {"json": {"name": "a\x00b", "count": 1}}),
])
def test_a_nul_character_anywhere_is_a_400_problem(client, method, path, kwargs):
    seen_correlation.clear()
    body = problem(getattr(client, method)(path, **kwargs), 400)
    assert body["type"] == "urn:shop:problem:nul-character"
    assert seen_correlation == [], "the route never ran"


def test_unknown_routes_and_methods_are_problems(client):
    problem(client.get("/api/v1/nothing"), 404)
    response = client.put("/api/v1/things", json={})
    problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_domain_problems_keep_their_type_and_extra_members(client):
    body = problem(client.post("/api/v1/things", json={"name": "taken", "count": 1}), 409)
    assert body == {"type": "urn:shop:problem:conflict", "title": "Conflict", "status": 409,
                    "detail": "that name is taken", "name": "taken"}


def test_bugs_are_a_500_problem_without_internals(client):
    body = problem(client.post("/api/v1/things", json={"name": "boom", "count": 1}), 500)
    assert "a bug" not in json.dumps(body)


def test_request_and_correlation_ids_are_taken_or_made_and_echoed(client):
    given = client.post("/api/v1/things", json={"name": "a", "count": 1},
                        headers={"X-Request-ID": "r-1", "X-Correlation-ID": "c-1"})
    assert given.headers["X-Request-ID"] == "r-1"
    assert given.headers["X-Correlation-ID"] == "c-1"
    assert seen_correlation[-1] == "c-1"
    made = client.post("/api/v1/things", json={"name": "a", "count": 1},
                       headers={"X-Request-ID": "x" * 500})
    assert made.headers["X-Request-ID"] != "x" * 500, "oversized ids are replaced"
    assert made.headers["X-Correlation-ID"] == made.headers["X-Request-ID"]
    assert context.correlation_id.get() is None, "ids do not leak past the request"


def test_logs_are_json_with_the_request_and_correlation_ids(client):
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_shop_json", False)]
    buffer = io.StringIO()
    stream = handler.setStream(buffer)
    try:
        client.post("/api/v1/things", json={"name": "a", "count": 1},
                    headers={"X-Request-ID": "r-9", "X-Correlation-ID": "c-9"})
    finally:
        handler.setStream(stream)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    [record] = [line for line in lines if line["message"] == "thing made"]
    assert record["request_id"] == "r-9"
    assert record["correlation_id"] == "c-9"
    assert record["service"] == "things"
    assert record["level"] == "INFO"


def test_ops_endpoints(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, "an optional dependency being down does not fail readiness"
    assert ready.json["checks"]["database"] == "ok"
    assert ready.json["checks"]["optional"].startswith("unavailable")
    client.post("/api/v1/things", json={"name": "a", "count": 1})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{method="POST",route="/api/v1/things",service="things",' \
           'status="201"}' in text


def test_readiness_fails_when_a_required_dependency_is_down():
    app = create_app("things", readiness=[ReadinessCheck("database", failing)])
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unavailable: down"


def test_openapi_documents_errors_as_problems(client):
    spec = client.get("/openapi.json").json
    assert "Problem" in spec["components"]["schemas"]
    assert "/api/v1/things" in spec["paths"]
