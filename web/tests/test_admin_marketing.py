"""The console's coupons, promotions and marketing figures against a stand-in for the
gateway: what a form sends to the API (fen, percents, UTC times, scope), a mistake kept
beside its field, pausing from a list, issuing to users, the figures table."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from shop_web import gateway_client
from shop_web.admin.offer_forms import user_ids
from shop_web.app import create_app
from shop_web.gateway_client import ApiProblem


def money(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


TEMPLATE = {"id": "ct_1", "name": "新人券", "kind": "amount_off", "amount_off": money(1000),
            "percent_off": None, "max_discount": None, "min_spend": money(10000),
            "scope": {"kind": "all"}, "valid_from": None, "valid_until": None, "valid_days": 7,
            "total_quantity": 100, "issued": 10, "remaining": 90, "per_user_limit": 1,
            "member_levels": None, "claimable": True, "exclusion_group": None, "priority": 0,
            "stacks_with_promotions": True, "status": "active", "redeem_code": None,
            "auto_issue": "none"}
PROMOTION = {"id": "pr_1", "name": "双十二满减", "kind": "full_reduction",
             "scope": {"kind": "all"}, "tiers": [{"threshold": money(30000), "off": money(4000)}],
             "percent": None, "member_percents": None, "starts_at": "2026-12-01T00:00:00+00:00",
             "ends_at": "2026-12-31T00:00:00+00:00", "exclusion_group": None, "priority": 0,
             "status": "active"}


class FakeApi:
    """Answers by (method, path); records what was sent."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], Any] = {}
        self.sent: list[tuple[str, str, Any, dict]] = []

    def __call__(self, method: str, path: str, *, json: Any = None,
                 params: dict | None = None, **_: Any) -> Any:
        self.sent.append((method, path, json, params or {}))
        answer = self.answers[(method, path)]
        if isinstance(answer, ApiProblem):
            raise answer
        return answer


def signed_in(client, *roles: str) -> None:
    token = jwt.encode({"sub": "u1", "roles": list(roles)}, "k" * 32, algorithm="HS256")
    with client.session_transaction() as session:
        session["access_token"] = token


@pytest.fixture
def fake(monkeypatch) -> FakeApi:
    stand_in = FakeApi()
    stand_in.answers.update({
        ("GET", "/admin/coupons"): {"items": [TEMPLATE], "next_cursor": None},
        ("GET", "/admin/promotions"): {"items": [PROMOTION], "next_cursor": None},
        ("GET", "/promotions"): {"items": []},
    })
    monkeypatch.setattr(gateway_client, "call", stand_in)
    return stand_in


@pytest.fixture
def client():
    app = create_app({"TESTING": True})
    client = app.test_client()
    signed_in(client, "admin")
    return client


def promotion_form(**changes: str) -> dict[str, str]:
    form = {"name": "满300减40", "kind": "full_reduction", "tiers.0.threshold": "300",
            "tiers.0.off": "40", "tiers.1.threshold": "500", "tiers.1.off": "80",
            "scope_kind": "categories", "scope": "3, 7", "starts_at": "2026-12-01T00:00",
            "ends_at": "2026-12-31T23:59", "exclusion_group": "", "priority": "5",
            "status": "active"}
    return {**form, **changes}


def test_a_full_reduction_goes_to_the_api_in_fen_with_its_scope_and_window(client, fake):
    fake.answers[("POST", "/admin/promotions")] = {**PROMOTION, "name": "满300减40"}
    answer = client.post("/admin/promotions/new", data=promotion_form())
    assert answer.status_code == 303, answer.text
    body = fake.sent[-1][2]
    assert body["tiers"] == [{"threshold": money(30000), "off": money(4000)},
                             {"threshold": money(50000), "off": money(8000)}]
    assert body["scope"] == {"kind": "categories", "ids": [3, 7]}
    assert body["starts_at"] == "2026-12-01T00:00:00+00:00"
    assert body["percent"] is None and body["member_percents"] is None
    assert body["priority"] == 5 and body["exclusion_group"] is None


def test_member_prices_and_a_timed_discount(client, fake):
    fake.answers[("POST", "/admin/promotions")] = PROMOTION
    client.post("/admin/promotions/new", data=promotion_form(
        kind="member_price", **{"member_percents.silver": "95", "member_percents.gold": "90"}))
    assert fake.sent[-1][2]["member_percents"] == {"silver": 95, "gold": 90}
    assert fake.sent[-1][2]["tiers"] is None
    client.post("/admin/promotions/new", data=promotion_form(
        kind="timed_discount", percent="80", scope_kind="brands", scope="小米，美的"))
    assert fake.sent[-1][2]["percent"] == 80
    assert fake.sent[-1][2]["scope"] == {"kind": "brands", "names": ["小米", "美的"]}


def test_mistakes_stay_beside_their_fields_and_nothing_is_sent(client, fake):
    answer = client.post("/admin/promotions/new", data=promotion_form(
        **{"tiers.1.off": "", "scope": "3, seven", "starts_at": "tomorrow"}))
    assert answer.status_code == 422
    assert "门槛和减免金额都要填写" in answer.text and "请输入以逗号分隔的数字编号" in answer.text
    assert 'value="3, seven"' in answer.text and "请输入时间" in answer.text
    assert not [s for s in fake.sent if s[0] == "POST"]


def test_the_apis_refusal_of_an_offer_is_a_banner_with_the_form_kept(client, fake):
    fake.answers[("POST", "/admin/promotions")] = ApiProblem(
        422, "The offer's fields do not fit together", "tiers go up",
        "urn:shop:problem:invalid-offer")
    answer = client.post("/admin/promotions/new", data=promotion_form())
    assert answer.status_code == 422 and "tiers go up" in answer.text
    assert 'value="满300减40"' in answer.text


def test_a_coupon_template_with_a_cap_and_fixed_dates(client, fake):
    fake.answers[("POST", "/admin/coupons")] = {**TEMPLATE, "id": "ct_2"}
    answer = client.post("/admin/coupons/new", data={
        "name": "9折券", "kind": "percent_off", "percent_off": "90", "max_discount": "50",
        "min_spend": "", "scope_kind": "all", "validity": "fixed",
        "valid_until": "2026-12-31T23:59", "total_quantity": "10", "per_user_limit": "1",
        "claimable": "1", "member_levels": ["gold", "bogus"], "auto_issue": "level:gold",
        "priority": "0", "status": "active"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/admin/coupons/ct_2"
    body = fake.sent[-1][2]
    assert body["percent_off"] == 90 and body["max_discount"] == money(5000)
    assert body["amount_off"] is None and body["valid_days"] is None
    assert body["valid_until"] == "2026-12-31T23:59:00+00:00"
    assert body["member_levels"] == ["gold"] and body["claimable"] is True
    assert body["stacks_with_promotions"] is False and body["auto_issue"] == "level:gold"


def test_the_coupon_list_pauses_and_the_edit_page_issues(client, fake):
    listed = client.get("/admin/coupons?status=active")
    assert listed.status_code == 200 and "满¥100减¥10" in listed.text
    fake.answers[("PATCH", "/admin/coupons/ct_1")] = {**TEMPLATE, "status": "paused"}
    paused = client.post("/admin/coupons/ct_1/status",
                         data={"status": "paused", "back": "/admin/coupons?status=active"})
    assert paused.headers["Location"] == "/admin/coupons?status=active"
    assert fake.sent[-1][2] == {"status": "paused"}
    edit = client.get("/admin/coupons/ct_1")
    assert 'value="新人券"' in edit.text and 'value="days" checked' in edit.text
    fake.answers[("POST", "/admin/coupons/ct_1/issue")] = {
        "issued": [{"user_id": "u1", "user_coupon_id": "uc_1"}],
        "refused": [{"user_id": "u2", "reason": "coupon-limit-reached"}]}
    issued = client.post("/admin/coupons/ct_1/issue", data={"user_ids": "u1\nu2, u1"})
    assert [s[2] for s in fake.sent if s[1].endswith("/issue")] == [{"user_ids": ["u1", "u2"]}]
    assert "已发放 1 张" in issued.text and "u2：您已领取过这张券" in issued.text


def test_the_marketing_figures(client, fake):
    fake.answers[("GET", "/admin/marketing/stats")] = {
        "coupons": [{"template_id": "ct_1", "name": "新人券", "kind": "amount_off",
                     "status": "active", "issued": 10, "used": 4, "discount": money(4000),
                     "orders": 4, "gmv": money(120000)}],
        "promotions": [{"promotion_id": "pr_1", "name": "双十二满减", "kind": "full_reduction",
                        "status": "active", "discount": money(8000), "orders": 2,
                        "gmv": money(70000)}]}
    page = client.get("/admin/marketing/stats").text
    for words in ("新人券", "¥1,200.00", "双十二满减", "¥700.00", "营销数据"):
        assert words in page, words


def test_user_ids_typed_for_issuing():
    assert user_ids(" u1,u2\n u3 ;u1 ") == ["u1", "u2", "u3"]


