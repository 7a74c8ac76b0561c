"""A service's OpenAPI document says what its routes do: who may call them, the error
content type, a unique operationId each, and the rules between fields."""

from __future__ import annotations

import pytest
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validates_schema

from service_runtime.app import create_app
from service_runtime.auth import ADMIN, CUSTOMER, jwks
from service_runtime.blueprint import Blueprint
from service_runtime.openapi import SecuredBlueprint, requires_role, signed_in, token_optional
from service_runtime.testing.plugin import bearer


class OneWaySchema(Schema):
    class Meta:
        json_schema = {"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}

    a = fields.String(load_default=None, allow_none=False)
    b = fields.String(load_default=None, allow_none=False)

    @validates_schema
    def one_way(self, data, **_kwargs):
        if (data["a"] is None) == (data["b"] is None):
            raise ValidationError("a or b", "a")


public = Blueprint("public", __name__, url_prefix="/api/v1/things")
staff = SecuredBlueprint("staff", __name__, url_prefix="/api/v1/staff", role=ADMIN)


@public.route("")
class Things(MethodView):
    @public.response(200)
    def get(self):
        return {}

    @signed_in
    @public.arguments(OneWaySchema)
    @public.response(201)
    def post(self, body):
        return {}


@public.route("/mine")
class Mine(MethodView):
    @token_optional
    @public.response(200)
    def get(self):
        return {}


@public.route("/audit")
class Audit(MethodView):
    @requires_role(ADMIN)
    @public.response(200)
    def get(self):
        return {}


@staff.route("/reports")
class Reports(MethodView):
    @staff.response(200)
    def get(self):
        return {}


@pytest.fixture
def app(signing_key):
    return create_app("things", blueprints=[public, staff],
                      config={"AUTH_JWKS": jwks(signing_key)})


@pytest.fixture
def document(app):
    return app.test_client().get("/openapi.json").json


def operation(document, method, path):
    return document["paths"][path][method]


def test_errors_are_documented_as_problem_json(document):
    responses = document["components"]["responses"]
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY", "UNAUTHORIZED", "FORBIDDEN"):
        assert list(responses[name]["content"]) == ["application/problem+json"], name
    problem = document["components"]["schemas"]["Problem"]
    assert problem["additionalProperties"] is True, "problems carry extra members"


def test_access_is_documented_where_it_is_enforced(app, document, signing_key):
    client = app.test_client()
    customer = bearer(signing_key, "u1", roles=(CUSTOMER,))
    admin = bearer(signing_key, "a1", roles=(ADMIN,))
    bearer_only = [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"

    assert "security" not in operation(document, "get", "/api/v1/things")
    assert client.get("/api/v1/things").status_code == 200

    signed = operation(document, "post", "/api/v1/things")
    assert signed["security"] == bearer_only and "401" in signed["responses"]
    # Refused before the body is even parsed: no token is a 401, not a 422.
    assert client.post("/api/v1/things", json={}).status_code == 401
    assert client.post("/api/v1/things", json={"a": "x"}, headers=customer).status_code == 201

    optional = operation(document, "get", "/api/v1/things/mine")
    assert optional["security"] == [{}, {"bearerAuth": []}]
    assert client.get("/api/v1/things/mine").status_code == 200
    bad = {"Authorization": "Bearer not.a.token"}
    assert client.get("/api/v1/things/mine", headers=bad).status_code == 401

    for path in ("/api/v1/things/audit", "/api/v1/staff/reports"):
        doc = operation(document, "get", path)
        assert doc["security"] == bearer_only, path
        assert {"401", "403"} <= set(doc["responses"]), path
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=customer).status_code == 403, path
        assert client.get(path, headers=admin).status_code == 200, path
    assert client.options("/api/v1/staff/reports").status_code == 200, "a CORS preflight"


def test_every_operation_has_a_stable_operation_id(document):
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert sorted(ids) == ["getAudit", "getMine", "getReports", "getThings", "postThings"]


def test_two_equal_operation_ids_are_refused():
    other = Blueprint("other", __name__, url_prefix="/api/v1/other")

    @other.route("")
    class Things(MethodView):  # the same view name, so the same operationId
        @other.response(200)
        def get(self):
            return {}

    with pytest.raises(ValueError, match="getThings"):
        create_app("clash", blueprints=[public, other])


def test_rules_between_fields_are_in_the_schema(document):
    schema = document["components"]["schemas"]["OneWay"]
    assert schema["oneOf"] == [{"required": ["a"]}, {"required": ["b"]}]
    # Left out it is None, sent as null it is refused: no "default: null" on a non-null.
    assert "default" not in schema["properties"]["a"]
    assert "nullable" not in schema["properties"]["a"]
