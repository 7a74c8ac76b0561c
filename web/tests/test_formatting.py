"""Money and problem answers as the pages show them."""

from __future__ import annotations

import json

import requests

from shop_web.formatting import money, when
from shop_web.gateway_client import ApiProblem


def test_money_is_shown_in_yuan_from_minor_units():
    assert money({"amount": 12990, "currency": "CNY"}) == "¥129.90"
    assert money({"amount": 5, "currency": "CNY"}) == "¥0.05"
    assert money({"amount": 123456789, "currency": "CNY"}) == "¥1,234,567.89"
    assert money({"amount": -250, "currency": "CNY"}) == "-¥2.50"
    assert money({"amount": 100, "currency": "HKD"}) == "HKD 1.00"
    assert money(None) == ""


def test_times_read_as_date_and_minute():
    assert when("2026-12-02T16:30:59+00:00") == "2026-12-02 16:30"
    assert when("not a time") == "not a time"
    assert when(None) == ""


def problem(status: int, body: bytes, content_type: str = "application/problem+json"):
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = content_type
    response.reason = "Unprocessable Entity"
    return ApiProblem.from_response(response)


def test_a_problem_names_the_fields_it_is_about():
    found = problem(422, json.dumps({
        "type": "https://shop.example/problems/validation-error", "title": "Invalid request",
        "status": 422, "errors": [
            {"location": "json", "field": "lines.0.quantity", "messages": ["Too many."]},
            {"location": "json", "field": "phone", "messages": ["Bad.", "Short."]}]}).encode())
    assert found.slug == "validation-error"
    assert found.message_for("quantity") == "Too many."
    assert found.message_for("phone") == "Bad. Short."
    assert found.message_for("email") is None
    assert str(found) == "Invalid request"


def test_an_answer_that_is_not_json_is_still_a_problem():
    found = problem(502, b"<html>bad gateway</html>", "text/html")
    assert found.status == 502 and found.title == "Unprocessable Entity" and found.fields == {}
