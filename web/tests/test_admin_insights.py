"""The console's analytics page against a stand-in for the gateway: the sales bars (the
tallest day fills the chart), the funnel, the retention matrix, the promotions table, and
the API's refusal of a bad date shown beside the field."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from shop_web import gateway_client
from shop_web.admin.insights import bars
from shop_web.app import create_app
from shop_web.gateway_client import ApiProblem


def figures(orders: int, gmv: int) -> dict[str, int]:
    return {"orders": orders, "gmv": gmv, "paid_orders": orders, "paid": gmv, "refunded": 0,
            "average_order_value": gmv // max(orders, 1)}


ANSWERS = {
    ("GET", "/admin/analytics/sales"): {
        "from": "2026-11-01", "to": "2026-11-30", "group_by": "day", "currency": "CNY",
        "rows": [{"day": "2026-11-20", **figures(2, 13000)},
                 {"day": "2026-11-21", **figures(1, 6500)}], "totals": figures(3, 19500)},
    ("GET", "/admin/analytics/funnel"): {
        "from": "2026-11-01", "to": "2026-11-30", "overall_conversion": 0.25, "steps": [
            {"step": "product_view", "users": 8, "reached": 8, "conversion": None},
            {"step": "add_to_cart", "users": 4, "reached": 4, "conversion": 0.5},
            {"step": "order", "users": 3, "reached": 2, "conversion": 0.5},
            {"step": "paid", "users": 2, "reached": 2, "conversion": 1.0}]},
    ("GET", "/admin/analytics/promotions"): {
        "from": "2026-11-01", "to": "2026-11-30", "currency": "CNY", "rows": [
            {"kind": "full_reduction", "source_id": "p1", "label": "满300减40", "orders": 2,
             "paid_orders": 2, "discount": 8000, "gmv": 52000}]},
    ("GET", "/admin/analytics/retention"): {
        "cohort": "week", "weeks": 2, "cohorts": [
            {"week_start": "2026-11-02", "users": 4, "active": [4, 2, 1],
             "retention": [1.0, 0.5, 0.25]}]},
}


class FakeApi:
    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], Any] = dict(ANSWERS)
        self.sent: list[tuple[str, str, dict]] = []

    def __call__(self, method: str, path: str, *, params: dict | None = None,
                 **_: Any) -> Any:
        self.sent.append((method, path, params or {}))
        answer = self.answers[(method, path)]
        if isinstance(answer, ApiProblem):
            raise answer
        return answer


@pytest.fixture
def fake(monkeypatch) -> FakeApi:
    stand_in = FakeApi()
    monkeypatch.setattr(gateway_client, "call", stand_in)
    return stand_in


@pytest.fixture
def client():
    client = create_app({"TESTING": True}).test_client()
    token = jwt.encode({"sub": "u1", "roles": ["admin"]}, "k" * 32, algorithm="HS256")
    with client.session_transaction() as session:
        session["access_token"] = token
    return client


def test_bars_scale_to_the_tallest():
    assert bars([100, 50], width=200, height=10) == [
        {"x": 10.0, "w": 80.0, "h": 10.0, "y": 0.0},
        {"x": 110.0, "w": 80.0, "h": 5.0, "y": 5.0}]
    assert bars([0, 0], width=100, height=10)[0]["h"] == 0.0  # no division by zero
    assert bars([]) == []


def test_the_page_draws_the_reports(client, fake):
    answer = client.get("/admin/analytics?from=2026-11-01&to=2026-11-30")
    assert answer.status_code == 200
    page = answer.text
    # Two bars; the tallest day (13000) fills the 160-high chart, the other half of it.
    assert page.count("<rect") == 2 + 4
    assert 'height="160.0"' in page and 'height="80.0"' in page
    assert "¥130.00" in page and "¥195.00" in page
    assert "加入购物车: 4 (50.0%)" in page
    assert "rgba(46, 125, 50, 0.25)\">25%" in page
    assert "满300减40" in page and "¥80.00" in page
    sent = {path: params for _method, path, params in fake.sent}
    assert sent["/admin/analytics/sales"] == {"from": "2026-11-01", "to": "2026-11-30",
                                              "group_by": "day"}
    assert sent["/admin/analytics/retention"] == {"cohort": "week", "to": "2026-11-30",
                                                  "weeks": 8}


def test_a_refused_date_is_shown_beside_its_field(client, fake):
    fake.answers[("GET", "/admin/analytics/sales")] = ApiProblem(
        422, {"type": "urn:shop:problem:validation-error", "title": "Unprocessable Entity",
              "status": 422, "errors": [{"field": "from", "message": "Not a valid date."}]})
    answer = client.get("/admin/analytics?from=soon&to=2026-11-30")
    assert answer.status_code == 422
    assert 'value="soon"' in answer.text and "Not a valid date." in answer.text
