"""The quote's one description (``event_contracts.pricing``): marketing answers it, the
order and the cart relay it. No Flask in it; answers load tolerantly and dump exactly."""

import subprocess
import sys

import pytest
from marshmallow import ValidationError

from event_contracts.pricing import QuoteRequestSchema, QuoteSchema


def cny(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


TEMPLATE = {"id": "tpl_1", "name": "满30减5", "description": None, "kind": "amount_off",
            "amount_off": cny(500), "percent_off": None, "max_discount": None,
            "min_spend": cny(3000), "scope": {"kind": "all"}, "valid_from": None,
            "valid_until": None, "valid_days": 30, "total_quantity": 100, "issued": 3,
            "remaining": 97, "per_user_limit": 1, "member_levels": None, "claimable": True,
            "exclusion_group": None, "priority": 0, "stacks_with_promotions": True,
            "status": "active"}
COUPON = {"id": "uc_1", "template_id": "tpl_1", "status": "available",
          "valid_from": "2026-11-01T00:00:00+00:00", "valid_until": None, "order_id": None,
          "issued_at": "2026-11-01T00:00:00+00:00", "source": "claim", "template": TEMPLATE}
ANSWER = {
    "currency": "CNY", "subtotal": cny(3500), "discount_total": cny(500),
    "shipping": cny(1000), "points_used": 0, "points_value": cny(0), "payable": cny(4000),
    "adjustments": [{"kind": "coupon", "source_id": "tpl_1", "label": "满30减5",
                     "amount": cny(500)},
                    {"kind": "shipping", "source_id": None, "label": "运费",
                     "amount": cny(1000)}],
    "lines": [{"sku": "MUG", "quantity": 1, "unit_price": cny(3500), "subtotal": cny(3500),
               "payable": cny(4000), "points": 0,
               "allocations": [{"kind": "coupon", "source_id": "tpl_1", "amount": cny(500)},
                               {"kind": "shipping", "source_id": None,
                                "amount": cny(1000)}]}],
    "applied_coupon": COUPON,
    "coupons": {"usable": [{**COUPON, "discount": cny(500)}],
                "unusable": [{**COUPON, "id": "uc_2", "reason": "min_spend_not_reached",
                              "reason_detail": "还差 ¥5.00", "missing": cny(500)}]},
    "best_coupon": {**COUPON, "discount": cny(500)},
    "promotions": [{"id": "promo_1", "kind": "full_reduction", "name": "满300减40",
                    "applied": False, "discount": cny(0)}],
    "next_tier": {"promotion_id": "promo_1", "threshold": cny(30000), "off": cny(4000),
                  "missing": cny(26500), "hint": "再买 ¥265.00 可减 ¥40.00"},
    "points": {"balance": 100, "requested": 0, "used": 0, "max_usable": 100},
    "member_level": "regular",
}


def test_the_module_is_marshmallow_only():
    code = ("import sys, event_contracts.pricing; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120).stdout.split()
    assert "marshmallow" in loaded
    assert not {"flask", "werkzeug", "flask_smorest", "service_runtime"} & set(loaded)


def test_an_answer_loads_and_dumps_back_exactly():
    schema = QuoteSchema()
    assert schema.dump(schema.load(ANSWER)) == ANSWER


def test_a_relay_leaves_out_fields_it_does_not_know():
    newer = {**ANSWER, "gift": True,
             "best_coupon": {**ANSWER["best_coupon"], "stamp": 1,
                             "template": {**TEMPLATE, "artwork": "x.png"}}}
    schema = QuoteSchema()
    assert schema.dump(schema.load(newer)) == ANSWER


@pytest.mark.parametrize("broken", [
    {"payable": None}, {"payable": {"amount": 1.5, "currency": "CNY"}},
    {"points": {"balance": "100", "requested": 0, "used": 0, "max_usable": 0}},
    {"coupons": {"usable": []}},
])
def test_an_answer_missing_or_malformed_is_refused(broken):
    with pytest.raises(ValidationError):
        QuoteSchema().load({**ANSWER, **broken})
    with pytest.raises(ValidationError):
        QuoteSchema().load({key: value for key, value in ANSWER.items() if key != "lines"})


def test_the_request_takes_one_coupon_at_most_and_cny_prices():
    line = {"sku": "MUG", "quantity": 1, "unit_price": cny(3500)}
    loaded = QuoteRequestSchema().load({"lines": [line]})
    assert loaded == {"lines": [{**line, "product_id": None}], "delivery_method": None,
                      "user_coupon_id": None, "coupon_code": None, "points": 0,
                      "suggest_coupon": False, "campaign": None}
    for body in ({"lines": [line], "user_coupon_id": "uc_1", "coupon_code": "HELLO"},
                 {"lines": [{**line, "unit_price": {"amount": 1, "currency": "USD"}}]},
                 {"lines": []}, {"lines": [line], "extra": 1}):
        with pytest.raises(ValidationError):
            QuoteRequestSchema().load(body)


def test_a_campaign_quote_takes_no_coupon_and_no_points():
    line = {"sku": "MUG", "quantity": 1, "unit_price": cny(3500)}
    campaign = {"kind": "group_buy", "campaign_id": "gbc_1"}
    loaded = QuoteRequestSchema().load({"lines": [line], "campaign": campaign})
    assert loaded["campaign"] == {**campaign, "group_id": None}
    for offer in ({"points": 10}, {"coupon_code": "SAVE"}, {"user_coupon_id": "ucp_1"}):
        with pytest.raises(ValidationError) as refused:
            QuoteRequestSchema().load({"lines": [line], "campaign": campaign, **offer})
        assert "campaign" in refused.value.messages
    with pytest.raises(ValidationError):
        QuoteRequestSchema().load({"lines": [line], "campaign": {**campaign, "kind": "raffle"}})
