"""Input that used to crash a route (500) is a 4xx problem at the runtime's edge."""

from __future__ import annotations

import flask_smorest
import pytest
from flask import jsonify, request
from flask.views import MethodView
from marshmallow import Schema, fields

from service_runtime import safe_json
from service_runtime.app import create_app
from service_runtime.blueprint import Blueprint
from service_runtime.bounds import INT32_MAX, QueryInteger
from service_runtime.paging import Cursor, PageQuerySchema

PROBLEM = "application/problem+json"


class LoginSchema(Schema):
    login = fields.String(required=True)
    password = fields.String(required=True)
    extra = fields.Raw(load_default=None)


class LedgerQuerySchema(PageQuerySchema):
    cursor = Cursor(r"[0-9]{1,18}", decode=int)
    amount_min = QueryInteger(load_default=None)


blp = Blueprint("hostile", __name__, url_prefix="/api/v1")
received: list[object] = []


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        received.append(body)
        return {"ok": True}


@blp.route("/things/<int:thing_id>")
class Thing(MethodView):
    def get(self, thing_id):  # type: ignore[no-untyped-def]
        return {"id": thing_id}


@blp.route("/things")
class Things(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    def get(self, query):  # type: ignore[no-untyped-def]
        return {"cursor": query["cursor"], "limit": query["limit"]}


@blp.route("/ledger")
class Ledger(MethodView):
    @blp.arguments(LedgerQuerySchema, location="query")
    def get(self, query):  # type: ignore[no-untyped-def]
        return {"cursor": query["cursor"], "amount_min": query["amount_min"]}


@pytest.fixture
def client():
    app = create_app("hostile", blueprints=[blp])

    @app.post("/raw")
    def raw():  # a route that reads the body itself, past webargs
        received.append(request.get_json())
        return jsonify(ok=True)

    received.clear()
    return app.test_client()


def deep(levels: int) -> str:
    return '{"login":' + "[" * levels + "]" * levels + ',"password":"x"}'


HOSTILE_BODIES = {
    "nested 1,000 levels": (deep(1000), "deeper than 64"),
    "nested 65 levels": (deep(64), "deeper than 64"),
    "a 5,000-digit integer": ('{"login":' + "9" * 5000 + ',"password":"x"}', "digits"),
    "a 41-digit negative integer": ('{"login":-' + "1" * 41 + ',"password":"x"}', "digits"),
    "a lone surrogate": ('{"login":"\\ud800","password":"x"}', "surrogate"),
    "a lone surrogate in a key": ('{"login":"a","password":"x","extra":{"\\udfff":1}}',
                                  "surrogate"),
    "NaN": ('{"login":"a","password":"x","extra":NaN}', "NaN"),
    "-Infinity": ('{"login":"a","password":"x","extra":-Infinity}', "Infinity"),
    "an infinite float": ('{"login":"a","password":"x","extra":1e999}', "out of range"),
    "not UTF-8": (b'{"login":"\xff","password":"x"}', "not UTF-8"),
    "not JSON": ('{"login":', "not valid JSON"),
}


@pytest.mark.parametrize("path", ["/api/v1/login", "/raw"])
@pytest.mark.parametrize("case", list(HOSTILE_BODIES))
def test_hostile_json_bodies_are_400_problems_on_every_route(client, path, case):
    body, reason = HOSTILE_BODIES[case]
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:shop:problem:malformed-request"
    assert reason in response.json["detail"]
    assert received == []


def test_ordinary_json_still_parses(client):
    body = ('{"login":"张三","password":"x","extra":{"n":' + "9" * 40 +
            ',"pi":3.14,"deep":' + "[" * 62 + "]" * 62 + ',"emoji":"\\ud83d\\ude00"}}')
    assert client.post("/api/v1/login", data=body, content_type="application/json").json == \
        {"ok": True}
    assert client.post("/raw", data=body, content_type="application/json").json == {"ok": True}
    assert received[0] == received[1]
    assert received[0]["extra"]["emoji"] == "😀" and received[0]["extra"]["n"] == int("9" * 40)


def test_an_empty_body_is_still_a_validation_problem(client):
    response = client.post("/api/v1/login", data="", content_type="application/json")
    assert response.status_code == 422


def test_the_loader_walks_deep_values_without_recursion():
    with pytest.raises(safe_json.MalformedJson):
        safe_json.loads("[" * 900 + "]" * 900)
    assert safe_json.loads("[" * 64 + "]" * 64) is not None


def test_a_blueprint_with_the_unguarded_parser_is_refused():
    plain = flask_smorest.Blueprint("plain", __name__)
    with pytest.raises(TypeError, match=r"service_runtime\.blueprint\.Blueprint"):
        create_app("hostile", blueprints=[plain])


@pytest.mark.parametrize("thing_id", [str(INT32_MAX + 1), "9223372036854775808", "9" * 5000, "0"])
def test_path_ids_no_column_can_hold_are_404_problems(client, thing_id):
    response = client.get(f"/api/v1/things/{thing_id}")
    assert response.status_code == 404
    assert response.content_type == PROBLEM
    assert client.get(f"/api/v1/things/{INT32_MAX}").json == {"id": INT32_MAX}


@pytest.mark.parametrize("query", [{"limit": "9" * 5000}, {"limit": 2**63}, {"limit": 0},
                                   {"limit": 101}])
def test_out_of_range_query_integers_are_422_problems_naming_the_field(client, query):
    response = client.get("/api/v1/things", query_string=query)
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert [e["field"] for e in response.json["errors"]] == ["limit"]


def test_query_integers_default_to_the_32_bit_column_range(client):
    for value in (INT32_MAX + 1, -1):
        response = client.get("/api/v1/ledger", query_string={"amount_min": value})
        assert response.status_code == 422
        assert [e["field"] for e in response.json["errors"]] == ["amount_min"]
    assert client.get("/api/v1/ledger", query_string={"amount_min": INT32_MAX}).json == \
        {"cursor": None, "amount_min": INT32_MAX}


@pytest.mark.parametrize(("path", "cursor"), [
    ("/api/v1/things", "garbage"), ("/api/v1/things", "ord_123"),
    ("/api/v1/things", "ord_" + "0" * 22 + "'--"), ("/api/v1/things", "x" * 600),
    ("/api/v1/ledger", "abc"), ("/api/v1/ledger", "-1"), ("/api/v1/ledger", "1" * 19),
])
def test_a_malformed_cursor_is_a_422_problem_naming_the_cursor(client, path, cursor):
    response = client.get(path, query_string={"cursor": cursor})
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:shop:problem:validation-error"
    assert [e["field"] for e in response.json["errors"]] == ["cursor"]


def test_well_formed_cursors_reach_the_route_decoded(client):
    order_id = "ord_0193a5b2c3d4e5f6a7b8c9"
    assert client.get("/api/v1/things", query_string={"cursor": order_id}).json == \
        {"cursor": order_id, "limit": 20}
    assert client.get("/api/v1/things", query_string={"cursor": ""}).json["cursor"] is None
    assert client.get("/api/v1/ledger", query_string={"cursor": "42"}).json["cursor"] == 42
