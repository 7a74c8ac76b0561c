"""The gateway's merged document, built from the real services' documents: one shared
Problem schema and error responses, a unique operationId for every operation, security
where the routes enforce it, and the product page as the gateway answers it."""

from __future__ import annotations

import importlib

import pytest

from api_gateway.openapi import merged_document, operations
from api_gateway.product_page import PAGE_PATH, document_product_page

SERVICES = ["user", "catalog", "cart", "order", "payment", "logistics", "aftersales"]


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
