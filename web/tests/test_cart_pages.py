"""The cart's refusals in the shopper's words (the API's problem types are URNs)."""

from __future__ import annotations

import pytest

from shop_web.app import create_app
from shop_web.cart_pages import problem_message
from shop_web.gateway_client import ApiProblem


@pytest.fixture
def request_context(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_DATA_DIR", str(tmp_path))
    app = create_app()
    with app.test_request_context("/cart", headers={"Accept-Language": "zh-CN"}) as context:
        yield context


def test_the_slug_of_the_platforms_problem_types():
    assert ApiProblem(409, "x", type="urn:shop:problem:insufficient-stock").slug == (
        "insufficient-stock")


def test_cart_refusals_read_as_the_shopper_s_words(request_context):
    stock = ApiProblem(409, "Not enough in stock", type="urn:shop:problem:insufficient-stock",
                       body={"sku": "MUG-1", "available": 3})
    assert problem_message(stock) == "库存不足：MUG-1 仅剩 3 件"
    too_many = ApiProblem(422, "Invalid", type="urn:shop:problem:validation-error",
                          fields={"quantity": ["Must be between 1 and 99."]})
    assert problem_message(too_many) == "数量须在 1 到 99 之间"
    unknown = ApiProblem(400, "Odd", detail="something new", type="urn:shop:problem:new-thing")
    assert problem_message(unknown) == "something new", "an unforeseen refusal in the API's words"
