"""The gateway's merged document, built from the real services' documents: one shared
Problem schema and error responses, a unique operationId for every operation, security
where the routes enforce it, and the product page as the gateway answers it."""

from __future__ import annotations

import importlib

import pytest

from api_gateway.openapi import merged_document, operations
from api_gateway.product_page import PAGE_PATH, document_product_page
from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's


class Answer:
    def __init__(self, document: dict) -> None:
        self.document = document

    def raise_for_status(self) -> None:
        pass

    def json(self) -> dict:
        return self.document


class ServicesSession:
    """Stands in for the gateway's HTTP session: each service's app answers in-process."""

    def __init__(self, documents: dict[str, dict]) -> None:
        self.documents = documents

    def get(self, url: str, timeout: float) -> Answer:
        return Answer(self.documents[url.split("/")[2]])


@pytest.fixture(scope="module")
def document(tmp_path_factory, monkeypatch_module) -> dict:
    monkeypatch_module.setenv("SHOP_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    documents = {}
    for service in SERVICES:
        app = importlib.import_module(f"{service}.app").create_app()
        documents[service] = app.test_client().get("/openapi.json").json
    merged = merged_document(ServicesSession(documents),  # type: ignore[arg-type]
                             {s: f"http://{s}" for s in SERVICES}, timeout=1)
    return document_product_page(merged)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_one_problem_schema_and_error_responses_shared_by_every_service(document):
    schemas, responses = document["components"]["schemas"], document["components"]["responses"]
    assert "Problem" in schemas
    assert not [name for name in schemas if name.endswith((".Problem", ".FieldError"))]
    assert not [name for name in responses if "." in name]
    for name, response in responses.items():
        for content_type in response.get("content", {}):
            assert content_type == "application/problem+json", name
    for path, method, operation in operations(document):
        default = operation["responses"]["default"]
        assert default == {"$ref": "#/components/responses/DEFAULT_ERROR"}, (method, path)


def test_every_operation_has_a_unique_operation_id(document):
    ids = [operation.get("operationId") for _, _, operation in operations(document)]
    assert None not in ids
    assert len(ids) == len(set(ids)) > 50


def test_protected_operations_say_so_and_public_ones_do_not(document):
    assert document["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    security = {(method, path): operation.get("security")
                for path, method, operation in operations(document)}
    signed_in = [{"bearerAuth": []}]
    assert security[("get", "/api/v1/users/me")] == signed_in
    assert security[("post", "/api/v1/orders")] == signed_in
    assert security[("post", "/api/v1/wallet/top-ups")] == signed_in
    assert security[("post", "/api/v1/admin/products")] == signed_in
    assert security[("get", "/api/v1/cart")] == [{}, {"bearerAuth": []}]
    for public in [("post", "/api/v1/auth/login"), ("get", "/api/v1/products"),
                   ("get", "/api/v1/products/{product_id}/reviews"),
                   ("post", "/api/v1/payments/callbacks/{provider}")]:
        assert security[public] is None, public
    for path, method, operation in operations(document):
        if path.startswith("/api/v1/admin/"):
            assert operation["security"] == signed_in, (method, path)
            assert "403" in operation["responses"], (method, path)


def test_the_product_page_is_described_as_the_gateway_answers_it(document):
    ref = document["paths"][PAGE_PATH]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["$ref"]
    page = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    product = document["components"]["schemas"]["catalog.Product"]
    assert page["additionalProperties"] is False
    assert set(page["properties"]) == set(product["properties"]) | {
        "recommendations", "reviews", "degraded"}
    assert page["properties"]["recommendations"]["items"] == {
        "$ref": "#/components/schemas/catalog.ProductSummary"}
    assert page["properties"]["reviews"]["allOf"] == [
        {"$ref": "#/components/schemas/aftersales.ReviewPage"}]


# Requests the document and the server must judge alike: a rule between fields or a
# field rule the document used to leave out (then these passed the schema, refused by code).
AGREEMENT = {
    "user.Register": ("user.schemas", "RegisterSchema", [
        {"password": "long-enough-1"},
        {"email": "a@shop.example", "password": "long-enough-1"},
        {"phone": "13800138000", "password": "long-enough-1"},
    ]),
    "user.Login": ("user.schemas", "LoginSchema", [
        {"login": "a@shop.example", "password": "secret"},
        {"phone": "13800138000", "code": "123456"},
        {"login": "a@shop.example", "password": "x", "phone": "13800138000", "code": "123456"},
        {"login": "a@shop.example"},
    ]),
    "user.CodeRequest": ("user.schemas", "CodeRequestSchema", [
        {"channel": "sms", "target": "13800138000", "purpose": "login"},
        {"channel": "sms", "target": "a@shop.example", "purpose": "login"},
        {"channel": "email", "target": "a@shop.example", "purpose": "login"},
        {"channel": "email", "target": "13800138000", "purpose": "login"},
    ]),
    "payment.TopUp": ("payment.schemas", "TopUpSchema", [
        {"method": "alipay"},
        {"method": "alipay", "amount": 500},
        {"method": "alipay", "package_id": "cny100"},
        {"method": "alipay", "package_id": "cny100", "amount": 500},
    ]),
    "payment.WithdrawalRequest": ("payment.wallet_api", "WithdrawalRequestSchema", [
        {"amount": 100, "bank_account": "6222020200112233"},
        {"amount": 100, "bank_account": "x6222020200112233"},
    ]),
    "cart.AddItem": ("cart.schemas", "AddItemSchema", [
        {"sku": "", "quantity": 1},
        {"sku": "-KETTLE", "quantity": 1},
        {"sku": "KETTLE-MI-1.7L-WHITE", "quantity": 1},
    ]),
    "aftersales.NewReview": ("aftersales.schemas", "NewReviewSchema", [
        {"order_id": "ord_1", "product_id": 1, "rating": 5, "text": "good",
         "images": ["https://img.shop.example/a.jpg"]},
        {"order_id": "ord_1", "product_id": 1, "rating": 5, "text": "good",
         "images": ["not a url"]},
        {"order_id": "ord_1", "product_id": 1, "rating": 5, "text": "good",
         "images": ["http://img.shop.example/a.jpg"]},
    ]),
}


@pytest.mark.parametrize("component", sorted(AGREEMENT))
def test_the_document_refuses_what_the_server_refuses(document, component):
    import jsonschema_rs
    from marshmallow import ValidationError

    module, schema_name, bodies = AGREEMENT[component]
    schema = getattr(importlib.import_module(module), schema_name)()
    validator = jsonschema_rs.Draft4Validator(document["components"]["schemas"][component],
                                              validate_formats=True)
    for body in bodies:
        try:
            schema.load(body)
            server_accepts = True
        except ValidationError:
            server_accepts = False
        assert validator.is_valid(body) == server_accepts, body


def test_headers_the_routes_read_are_documented(document):
    def headers(method: str, path: str) -> set[str]:
        item = document["paths"][path]
        return {p["name"] for p in item[method].get("parameters", []) + item.get(
            "parameters", []) if p["in"] == "header"}

    for path in ("/api/v1/orders", "/api/v1/payments", "/api/v1/wallet/top-ups",
                 "/api/v1/wallet/withdrawals", "/api/v1/returns"):
        assert "Idempotency-Key" in headers("post", path), path
    for method, path in (("get", "/api/v1/cart"), ("post", "/api/v1/cart/items"),
                         ("patch", "/api/v1/cart/items/{sku}")):
        assert "X-Cart-Token" in headers(method, path), path
