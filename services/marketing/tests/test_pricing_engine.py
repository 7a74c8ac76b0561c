"""The pricing engine on worked examples (MARKETING.md, "The engine")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketing.allocation import largest_remainder
from marketing.pricing_engine import price
from marketing.pricing_types import (
    CandidateCoupon,
    CouponKind,
    CouponNotUsable,
    Money,
    NotEnoughPoints,
    PointsRules,
    PricingLine,
    Promotion,
    PromotionKind,
    Quote,
    Scope,
    ScopeKind,
    ShippingRules,
    Tier,
    UnusableReason,
)

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
EVERYTHING = Scope()


def line(sku: str, fen: int, quantity: int = 1, *, product_id: int | None = None,
         path: tuple[int, ...] = (), brand: str | None = None) -> PricingLine:
    return PricingLine(sku, quantity, Money(fen, "CNY"), product_id, path, brand)


def full_reduction(pid: str = "fr", *tiers: tuple[int, int], group: str | None = None,
                   scope: Scope = EVERYTHING, priority: int = 0, **times: datetime) -> Promotion:
    tiers = tiers or ((30000, 4000), (50000, 8000))
    return Promotion(pid, PromotionKind.FULL_REDUCTION, f"满减{pid}", scope,
                     tiers=tuple(Tier(*tier) for tier in tiers), exclusion_group=group,
                     priority=priority, **times)


def timed(pid: str, percent: int, *, scope: Scope = EVERYTHING, group: str | None = None,
          priority: int = 0) -> Promotion:
    return Promotion(pid, PromotionKind.TIMED_DISCOUNT, f"限时{pid}", scope, percent=percent,
                     exclusion_group=group, priority=priority)


def member(pid: str, **level_percents: int) -> Promotion:
    return Promotion(pid, PromotionKind.MEMBER_PRICE, f"会员价{pid}",
                     level_percents=level_percents)


def coupon(ucid: str, kind: CouponKind = CouponKind.AMOUNT_OFF, **terms: object) -> CandidateCoupon:
    return CandidateCoupon(ucid, f"t{ucid}", f"券{ucid}", kind, **terms)  # type: ignore[arg-type]


def quote(lines: list[PricingLine], **kwargs: object) -> Quote:
    kwargs.setdefault("delivery_method", "pickup")
    result = price(lines, now=NOW, **kwargs)  # type: ignore[arg-type]
    assert_sums(result)
    return result


def assert_sums(result: Quote) -> None:
    assert sum(line.payable.amount for line in result.lines) == result.payable.amount
    for adjustment in result.adjustments:
        assert adjustment.amount.amount > 0
        shares = sum(a.amount.amount for ln in result.lines for a in ln.allocations
                     if (a.kind, a.source_id) == (adjustment.kind, adjustment.source_id))
        assert shares == adjustment.amount.amount
    assert result.payable.amount == (result.subtotal.amount - result.discount_total.amount
                                     - result.points_value.amount + result.shipping.amount)


def discounts(result: Quote) -> dict[str, int]:
    return {f"{a.kind}:{a.source_id}": a.amount.amount for a in result.adjustments}


# Allocation

def test_largest_remainder_is_exact_and_breaks_ties_by_line_order() -> None:
    assert largest_remainder(4000, [20000, 15000]) == [2286, 1714]
    assert largest_remainder(2, [1, 1, 1]) == [1, 1, 0]
    assert largest_remainder(10, [0, 0]) == [5, 5]
    assert largest_remainder(0, []) == []
    assert largest_remainder(7, [3, 0, 4]) == [3, 0, 4]


# Full reduction

def test_full_reduction_takes_the_highest_tier_reached() -> None:
    lines = [line("a", 20000), line("b", 15000)]
    result = quote(lines, promotions=[full_reduction()])
    assert discounts(result) == {"full_reduction:fr": 4000}
    assert [a.amount.amount for ln in result.lines for a in ln.allocations] == [2286, 1714]
    assert result.payable.amount == 31000

    result = quote([line("a", 26000, 2)], promotions=[full_reduction()])
    assert discounts(result) == {"full_reduction:fr": 8000}
    assert result.next_tier is None


def test_tier_hint_says_how_much_more_for_the_next_tier() -> None:
    result = quote([line("a", 27700)], promotions=[full_reduction()])
    assert result.discount_total.amount == 0
    assert result.next_tier is not None
    assert result.next_tier.hint == "再买 ¥23.00 可减 ¥40.00"
    assert result.next_tier.missing == Money(2300, "CNY")
    assert result.promotions[0].applied is False

    result = quote([line("a", 35000)], promotions=[full_reduction()])
    assert result.next_tier is not None
    assert result.next_tier.hint == "再买 ¥150.00 可减 ¥80.00"
    assert result.promotions[0].applied is True
    assert result.promotions[0].discount == Money(4000, "CNY")


def test_expired_and_future_promotions_are_ignored() -> None:
    promotions = [full_reduction("old", ends_at=NOW),
                  full_reduction("new", starts_at=NOW + timedelta(seconds=1)),
                  full_reduction("now", (10000, 500), starts_at=NOW, ends_at=NOW + timedelta(1))]
    result = quote([line("a", 40000)], promotions=promotions)
    assert discounts(result) == {"full_reduction:now": 500}
    assert [p.id for p in result.promotions] == ["now"]


# Coupons

def test_amount_off_coupon_needs_its_min_spend() -> None:
    man100 = coupon("1", amount_off=1000, min_spend=10000)
    result = quote([line("a", 9999)], coupons=[man100], suggest_coupon=True)
    assert result.applied_coupon is None
    [refused] = result.unusable_coupons
    assert refused.reason == UnusableReason.MIN_SPEND_NOT_REACHED
    assert refused.missing == Money(1, "CNY")
    assert refused.detail == "还差 ¥0.01"

    result = quote([line("a", 12000)], coupons=[man100], suggest_coupon=True)
    assert result.applied_coupon == man100
    assert discounts(result) == {"coupon:t1": 1000}
    assert result.best_coupon is not None and result.best_coupon.discount.amount == 1000


def test_min_spend_counts_the_goods_after_promotions() -> None:
    man300 = coupon("1", amount_off=3000, min_spend=30000)
    result = quote([line("a", 30000)], promotions=[full_reduction()], coupons=[man300],
                   suggest_coupon=True)
    assert result.unusable_coupons[0].missing == Money(4000, "CNY")
    assert discounts(result) == {"full_reduction:fr": 4000}


def test_percent_off_coupon_is_capped_by_max_discount() -> None:
    nine = coupon("9", CouponKind.PERCENT_OFF, percent_off=90, max_discount=5000)
    result = quote([line("a", 30000)], coupons=[nine], chosen_coupon_id="9")
    assert discounts(result) == {"coupon:t9": 3000}
    result = quote([line("a", 40000, 2)], coupons=[nine], chosen_coupon_id="9")
    assert discounts(result) == {"coupon:t9": 5000}
    assert result.payable.amount == 75000


def test_free_shipping_coupon_waives_any_method() -> None:
    free = coupon("f", CouponKind.FREE_SHIPPING)
    result = quote([line("a", 5000)], coupons=[free], delivery_method="standard")
    assert result.shipping.amount == 1000 and result.applied_coupon is None
    assert result.usable_coupons[0].discount == Money(1000, "CNY")

    result = quote([line("a", 5000)], coupons=[free], delivery_method="express",
                   suggest_coupon=True)
    assert result.applied_coupon == free
    assert result.shipping.amount == 0 and result.payable.amount == 5000
    assert result.discount_total.amount == 0


def test_scope_by_category_subtree_and_by_brand() -> None:
    lines = [line("phone", 20000, path=(1, 10, 100), brand="xiaomi"),
             line("kettle", 10000, path=(2, 20), brand="midea")]
    appliances = coupon("c", amount_off=1000, scope=Scope(ScopeKind.CATEGORIES, (10,)))
    result = quote(lines, coupons=[appliances], chosen_coupon_id="c")
    assert [ln.allocations[0].amount.amount if ln.allocations else 0
            for ln in result.lines] == [1000, 0]

    brand_sale = timed("b", 80, scope=Scope(ScopeKind.BRANDS, names=("midea",)))
    result = quote(lines, promotions=[brand_sale])
    assert discounts(result) == {"timed_discount:b": 2000}
    assert result.lines[1].payable.amount == 8000

    elsewhere = coupon("x", amount_off=500, scope=Scope(ScopeKind.PRODUCTS, (999,)))
    result = quote(lines, coupons=[elsewhere], suggest_coupon=True)
    assert result.unusable_coupons[0].reason == UnusableReason.OUT_OF_SCOPE


def test_member_price_and_timed_discount_best_one_per_line() -> None:
    promotions = [member("m", gold=85, silver=95), timed("t", 90)]
    result = quote([line("a", 10000)], promotions=promotions, member_level="gold")
    assert discounts(result) == {"member_price:m": 1500}
    result = quote([line("a", 10000)], promotions=promotions, member_level="silver")
    assert discounts(result) == {"timed_discount:t": 1000}
    result = quote([line("a", 10000)], promotions=promotions)  # a guest
    assert discounts(result) == {"timed_discount:t": 1000}
    assert [p.id for p in result.promotions] == ["t"]


def test_exclusion_group_takes_the_best_combination() -> None:
    lines = [line("a", 30000)]
    sale = timed("t", 80, group="g")  # 60 off
    result = quote(lines, promotions=[full_reduction(group="g"), sale])
    assert discounts(result) == {"timed_discount:t": 6000}
    assert {p.id: p.applied for p in result.promotions} == {"fr": False, "t": True}

    small_sale = timed("t", 95, group="g")  # 15 off, and the goods fall below 300
    result = quote(lines, promotions=[full_reduction(group="g"), small_sale])
    assert discounts(result) == {"full_reduction:fr": 4000}


def test_equal_offers_in_a_group_go_by_priority_then_id() -> None:
    a, b = full_reduction("2", group="g"), full_reduction("10", group="g")
    assert discounts(quote([line("a", 30000)], promotions=[a, b])) == {"full_reduction:2": 4000}
    b = full_reduction("10", group="g", priority=5)
    assert discounts(quote([line("a", 30000)], promotions=[a, b])) == {
        "full_reduction:10": 4000}


def test_coupon_that_does_not_stack_with_promotions() -> None:
    lines = [line("a", 30000)]
    weak = coupon("w", amount_off=3000, stacks_with_promotions=False)
    strong = coupon("s", amount_off=6000, stacks_with_promotions=False)
    result = quote(lines, promotions=[full_reduction()], coupons=[weak, strong],
                   suggest_coupon=True)
    assert result.applied_coupon == strong
    assert discounts(result) == {"coupon:ts": 6000}
    [refused] = result.unusable_coupons
    assert refused.reason == UnusableReason.EXCLUDED
    assert "满减fr" in refused.detail
    with pytest.raises(CouponNotUsable) as error:
        quote(lines, promotions=[full_reduction()], coupons=[weak], chosen_coupon_id="w")
    assert error.value.reason == UnusableReason.EXCLUDED


def test_chosen_coupon_that_cannot_apply_is_refused_with_its_reason() -> None:
    coupons = [coupon("e", amount_off=100, valid_until=NOW),
               coupon("y", amount_off=100, valid_from=NOW + timedelta(days=1))]
    result = quote([line("a", 1000)], coupons=coupons)
    assert [u.reason for u in result.unusable_coupons] == [UnusableReason.EXPIRED,
                                                            UnusableReason.NOT_VALID_YET]
    for ucid, reason in (("e", UnusableReason.EXPIRED), ("y", UnusableReason.NOT_VALID_YET),
                         ("nope", UnusableReason.NOT_FOUND)):
        with pytest.raises(CouponNotUsable) as error:
            quote([line("a", 1000)], coupons=coupons, chosen_coupon_id=ucid)
        assert error.value.reason == reason


def test_a_coupon_larger_than_the_goods_leaves_nothing_negative() -> None:
    big = coupon("b", amount_off=10000)
    result = quote([line("a", 300), line("b", 200)], coupons=[big], chosen_coupon_id="b")
    assert result.discount_total.amount == 500
    assert result.payable.amount == 0
    assert [ln.payable.amount for ln in result.lines] == [0, 0]
    result = quote([line("a", 300)], coupons=[big], chosen_coupon_id="b",
                   delivery_method="standard")
    assert result.payable.amount == 1000  # only the shipping
    assert result.lines[0].payable.amount == 1000


# Points

def test_points_are_capped_at_half_the_goods_and_by_the_balance() -> None:
    result = quote([line("a", 10000)], points_balance=9000, points_requested=8000)
    assert result.points_used == 5000
    assert (result.points.max_usable, result.points.requested) == (5000, 8000)
    assert result.payable.amount == 5000
    assert discounts(result) == {"points:None": 5000}

    result = quote([line("a", 10000)], points_balance=300, points_requested=200,
                   points_rules=PointsRules(max_share_percent=20))
    assert (result.points_used, result.points.max_usable) == (200, 300)

    with pytest.raises(NotEnoughPoints):
        quote([line("a", 10000)], points_balance=99, points_requested=100)


# Shipping

@pytest.mark.parametrize(("level", "goods", "fee"), [
    (None, 9800, 1000), ("regular", 9900, 0), ("silver", 7800, 1000), ("silver", 7900, 0),
    ("gold", 4900, 0), ("gold", 4800, 1000), ("platinum", 1, 0)])
def test_standard_shipping_is_free_from_the_level_threshold(
        level: str | None, goods: int, fee: int) -> None:
    result = quote([line("a", goods)], member_level=level, delivery_method="standard")
    assert result.shipping.amount == fee


def test_shipping_by_method_after_discounts_and_allocated_over_every_line() -> None:
    lines = [line("a", 6000), line("b", 4000)]
    assert quote(lines, delivery_method="express").shipping.amount == 0, "100 reaches 99"
    assert quote(lines[1:], delivery_method="express").shipping.amount == 2000
    assert quote(lines, delivery_method=None).shipping.amount == 0
    assert quote(lines, delivery_method="pickup").shipping.amount == 0
    ten_off = coupon("c", amount_off=1000)
    result = quote(lines, coupons=[ten_off], chosen_coupon_id="c", delivery_method="standard")
    assert result.shipping.amount == 1000  # 90 after the coupon: below 99
    assert [a.amount.amount for a in result.lines[0].allocations] == [600, 600]
    rules = ShippingRules(fees={"standard": 800, "express": 1500, "pickup": 0},
                          free_thresholds={"regular": 20000})
    result = quote(lines, delivery_method="standard", shipping_rules=rules, member_level="gold")
    assert result.shipping.amount == 800


def test_suggesting_keeps_the_plain_total_when_no_coupon_helps() -> None:
    free = coupon("f", CouponKind.FREE_SHIPPING)
    result = quote([line("a", 20000)], coupons=[free], suggest_coupon=True,
                   delivery_method="standard")
    assert result.applied_coupon is None and result.best_coupon is None
    assert result.usable_coupons[0].discount.amount == 0


def test_a_coupon_that_loses_the_free_shipping_is_not_suggested() -> None:
    five_off = coupon("5", amount_off=500)
    result = quote([line("a", 10000)], coupons=[five_off], suggest_coupon=True,
                   delivery_method="standard")
    assert result.applied_coupon is None and result.best_coupon is None
    assert result.shipping.amount == 0
    assert result.usable_coupons[0].discount == Money(500, "CNY")
    result = quote([line("a", 10000)], coupons=[five_off], chosen_coupon_id="5",
                   delivery_method="standard")
    assert (result.discount_total.amount, result.shipping.amount) == (500, 1000)


def test_an_empty_cart_and_bad_lines() -> None:
    result = quote([], delivery_method="express", promotions=[full_reduction()])
    assert (result.payable.amount, result.shipping.amount, result.lines) == (0, 0, ())
    with pytest.raises(ValueError, match="quantity"):
        price([line("a", 100, 0)], now=NOW)
    with pytest.raises(ValueError, match="USD"):
        price([PricingLine("a", 1, Money(100, "USD"))], now=NOW)


def test_scopes_read_and_write_the_quote_json() -> None:
    for data in ({"kind": "all"}, {"kind": "categories", "ids": [1, 2]},
                 {"kind": "brands", "names": ["midea"]}, {"kind": "products", "ids": [7]}):
        assert Scope.from_json(data).to_json() == data
    assert Scope.from_json(None) == Scope()
