"""The pricing engine's sum rules on random carts, promotions and coupons (MARKETING.md:
every adjustment's allocations sum to it, the lines' payables sum to the payable, nothing
negative, the discounts never above the subtotal)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketing.allocation import largest_remainder
from marketing.pricing_engine import price
from marketing.pricing_types import (
    CandidateCoupon,
    CouponKind,
    CouponNotUsable,
    Money,
    PricingLine,
    Promotion,
    PromotionKind,
    Quote,
    Scope,
    ScopeKind,
    Tier,
)

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
LEVELS = ("regular", "silver", "gold", "platinum")
PATHS = ((1,), (1, 10), (1, 10, 100), (2,), (2, 20))
BRANDS = ("xiaomi", "midea", "oppo", None)
PROPERTIES = settings(max_examples=150, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])

lines_st = st.lists(st.builds(
    PricingLine,
    sku=st.text("abcdefgh", min_size=1, max_size=3),
    quantity=st.integers(1, 5),
    unit_price=st.builds(Money, st.integers(0, 60000), st.just("CNY")),
    product_id=st.one_of(st.none(), st.integers(1, 5)),
    category_path=st.sampled_from(PATHS),
    brand=st.sampled_from(BRANDS),
), min_size=1, max_size=8)

scope_st = st.one_of(
    st.just(Scope()),
    st.builds(Scope, st.just(ScopeKind.CATEGORIES),
              st.lists(st.sampled_from((1, 2, 10, 20, 100)), min_size=1, max_size=2).map(tuple)),
    st.builds(Scope, st.just(ScopeKind.BRANDS), st.just(()),
              st.lists(st.sampled_from(BRANDS[:3]), min_size=1, max_size=2).map(tuple)),
    st.builds(Scope, st.just(ScopeKind.PRODUCTS),
              st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)),
)
group_st = st.sampled_from((None, None, "g1", "g2"))
moment_st = st.one_of(st.none(), st.integers(-3, 3).map(lambda days: NOW + timedelta(days=days)))
tiers_st = st.lists(st.tuples(st.integers(0, 200000), st.integers(1, 100000)),
                    min_size=1, max_size=3).map(
                        lambda pairs: tuple(Tier(threshold, off) for threshold, off in pairs))


@st.composite
def promotions_st(draw: st.DrawFn) -> list[Promotion]:
    promotions = []
    for index in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(list(PromotionKind)))
        promotions.append(Promotion(
            id=str(index + 1), kind=kind, name=f"p{index + 1}", scope=draw(scope_st),
            percent=draw(st.integers(0, 100)) if kind == PromotionKind.TIMED_DISCOUNT else None,
            level_percents=draw(st.dictionaries(st.sampled_from(LEVELS), st.integers(0, 100))),
            tiers=draw(tiers_st) if kind == PromotionKind.FULL_REDUCTION else (),
            exclusion_group=draw(group_st), priority=draw(st.integers(0, 2)),
            starts_at=draw(moment_st), ends_at=draw(moment_st)))
    return promotions


@st.composite
def coupons_st(draw: st.DrawFn) -> list[CandidateCoupon]:
    coupons = []
    for index in range(draw(st.integers(0, 4))):
        coupons.append(CandidateCoupon(
            user_coupon_id=f"u{index}", template_id=str(draw(st.integers(1, 3))),
            name=f"c{index}", kind=draw(st.sampled_from(list(CouponKind))),
            amount_off=draw(st.integers(0, 300000)), percent_off=draw(st.integers(0, 100)),
            max_discount=draw(st.one_of(st.none(), st.integers(0, 20000))),
            min_spend=draw(st.integers(0, 100000)), scope=draw(scope_st),
            exclusion_group=draw(group_st), priority=draw(st.integers(0, 2)),
            stacks_with_promotions=draw(st.booleans()),
            valid_from=draw(moment_st), valid_until=draw(moment_st)))
    return coupons


@st.composite
def requests_st(draw: st.DrawFn) -> dict[str, object]:
    coupons = draw(coupons_st())
    balance = draw(st.integers(0, 200000))
    return {
        "lines": draw(lines_st), "promotions": draw(promotions_st()), "coupons": coupons,
        "member_level": draw(st.sampled_from((None, *LEVELS))),
        "points_balance": balance, "points_requested": draw(st.integers(0, balance)),
        "chosen_coupon_id": draw(st.one_of(st.none(), st.sampled_from(
            [c.user_coupon_id for c in coupons] or [None]))),
        "suggest_coupon": draw(st.booleans()),
        "delivery_method": draw(st.sampled_from((None, "standard", "express", "pickup"))),
    }


def quote_or_refusal(request: dict[str, object]) -> Quote | None:
    try:
        return price(now=NOW, **request)  # type: ignore[arg-type]
    except CouponNotUsable:
        return None


@PROPERTIES
@given(requests_st())
def test_the_sum_rules_hold(request: dict[str, object]) -> None:
    result = quote_or_refusal(request)
    if result is None:
        return
    for adjustment in result.adjustments:
        assert adjustment.amount.amount > 0
        allocated = sum(a.amount.amount for line in result.lines for a in line.allocations
                        if (a.kind, a.source_id) == (adjustment.kind, adjustment.source_id))
        assert allocated == adjustment.amount.amount
    assert sum(line.payable.amount for line in result.lines) == result.payable.amount
    assert all(line.payable.amount >= 0 for line in result.lines)
    assert 0 <= result.discount_total.amount <= result.subtotal.amount
    assert result.payable.amount >= 0
    assert result.payable.amount == (result.subtotal.amount - result.discount_total.amount
                                     - result.points_value.amount + result.shipping.amount)
    assert result.points_used <= result.points.max_usable <= result.points.balance
    for line in result.lines:
        taken = sum(a.amount.amount for a in line.allocations if a.kind != "shipping")
        assert taken <= line.subtotal.amount
    if request["chosen_coupon_id"] is not None:
        assert result.applied_coupon is not None
        assert result.applied_coupon.user_coupon_id == request["chosen_coupon_id"]


@PROPERTIES
@given(requests_st())
def test_a_suggested_coupon_never_costs_the_buyer(request: dict[str, object]) -> None:
    request = {**request, "chosen_coupon_id": None, "points_requested": 0}
    plain = price(now=NOW, **{**request, "suggest_coupon": False})  # type: ignore[arg-type]
    suggested = price(now=NOW, **{**request, "suggest_coupon": True})  # type: ignore[arg-type]
    assert suggested.payable.amount <= plain.payable.amount


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests_st())
def test_choosing_a_coupon_agrees_with_the_list(request: dict[str, object]) -> None:
    request = {**request, "chosen_coupon_id": None, "suggest_coupon": False}
    listing = price(now=NOW, **request)  # type: ignore[arg-type]
    for usable in listing.usable_coupons:
        chosen = price(now=NOW, **{**request,  # type: ignore[arg-type]
                                   "chosen_coupon_id": usable.coupon.user_coupon_id})
        assert chosen.applied_coupon == usable.coupon
        if usable.coupon.kind != CouponKind.FREE_SHIPPING:
            given = sum(a.amount.amount for a in chosen.adjustments if a.kind == "coupon")
            assert given == usable.discount.amount
    for unusable in listing.unusable_coupons:
        with pytest.raises(CouponNotUsable) as refusal:
            price(now=NOW, **{**request,  # type: ignore[arg-type]
                              "chosen_coupon_id": unusable.coupon.user_coupon_id})
        assert refusal.value.reason == unusable.reason


@PROPERTIES
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=20), st.data())
def test_largest_remainder_is_exact_and_proportional(weights: list[int],
                                                     data: st.DataObject) -> None:
    total = data.draw(st.integers(0, max(sum(weights), 1) * 2))
    shares = largest_remainder(total, weights)
    assert sum(shares) == total
    whole = sum(weights) or len(weights)
    effective = weights if sum(weights) else [1] * len(weights)
    for share, weight in zip(shares, effective, strict=True):
        assert total * weight // whole <= share <= -(-total * weight // whole)
        if total <= whole:
            assert share <= weight
