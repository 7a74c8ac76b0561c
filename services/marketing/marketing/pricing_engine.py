"""The one pricing engine: a cart, the buyer's offers and choices in, the breakdown out.

Pure Python: no Flask, no database, no clock (``now`` is an argument). MARKETING.md's
"The engine" section is the specification; ``pricing_stages`` applies one set of offers,
this module searches the sets the exclusion groups allow, then spends the points, charges
the shipping and allocates every amount over the lines (``pricing_breakdown`` builds the
answer).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from datetime import datetime

from marketing import pricing_breakdown as breakdown
from marketing.allocation import largest_remainder
from marketing.pricing_stages import (
    LINE_LEVEL,
    Cart,
    Outcome,
    after_promotions,
    evaluate,
    line_percent,
    natural,
)
from marketing.pricing_types import (
    AdjustmentKind,
    CandidateCoupon,
    CouponKind,
    CouponNotUsable,
    DeliveryMethod,
    Money,
    NotEnoughPoints,
    PointsRules,
    PointsSummary,
    PricingLine,
    Promotion,
    PromotionKind,
    Quote,
    ShippingRules,
    UnusableCoupon,
    UnusableReason,
    UsableCoupon,
    yuan,
)

# Beyond this many sets of grouped promotions, each group keeps only its first offer by
# priority (and the search stays quick whatever an admin configures).
MAX_COMBINATIONS = 64


def price(lines: Sequence[PricingLine], *, now: datetime,
          promotions: Sequence[Promotion] = (),
          coupons: Sequence[CandidateCoupon] = (),
          member_level: str | None = None,
          points_balance: int = 0,
          points_requested: int = 0,
          chosen_coupon_id: str | None = None,
          suggest_coupon: bool = False,
          delivery_method: str | None = None,
          shipping_rules: ShippingRules | None = None,
          points_rules: PointsRules | None = None,
          currency: str = "CNY") -> Quote:
    """Price ``lines`` for a buyer. ``chosen_coupon_id`` (a user coupon id among ``coupons``)
    must be usable, else :class:`CouponNotUsable`; without it, ``suggest_coupon`` applies the
    best usable coupon. More points than ``points_balance`` raise :class:`NotEnoughPoints`;
    within the balance they are capped at ``points_rules.max_share_percent`` of the goods."""
    if points_requested < 0:
        raise ValueError("points must not be negative")
    if points_requested > points_balance:
        raise NotEnoughPoints(points_requested, points_balance)
    for line in lines:
        if line.quantity < 1 or line.unit_price.amount < 0:
            raise ValueError(f"line {line.sku}: bad quantity or price")
        if line.unit_price.currency != currency:
            raise ValueError(f"line {line.sku}: {line.unit_price.currency}, not {currency}")
    cart = Cart(tuple(lines), tuple(line.unit_price.amount * line.quantity for line in lines),
                member_level, DeliveryMethod(delivery_method or DeliveryMethod.STANDARD),
                shipping_rules or ShippingRules(), now)
    running = [p for p in promotions if p.running(now) and _relevant(cart, p)]
    subtotal = sum(cart.subtotals)

    plain = _best(cart, running, None)
    assert plain is not None  # without a coupon every set applies
    usable: list[tuple[UsableCoupon, Outcome]] = []
    unusable: list[UnusableCoupon] = []
    for coupon in coupons:
        verdict = _judge(cart, running, coupon, plain)
        if isinstance(verdict, UnusableCoupon):
            unusable.append(verdict)
        else:
            usable.append(verdict)

    # The best coupon leaves the buyer better off than no coupon at all.
    worthwhile = [pair for pair in usable
                  if pair[0].discount.amount > 0 and pair[1].rank < plain.rank]
    best_pair = min(worthwhile, key=lambda pair: pair[1].rank, default=None)
    if chosen_coupon_id is not None:
        final = _chosen(chosen_coupon_id, coupons, usable, unusable)
    elif suggest_coupon and best_pair is not None:
        final = best_pair[1]
    else:
        final = plain

    final.settle(cart)
    goods = final.goods
    points_cap = goods * (points_rules or PointsRules()).max_share_percent // 100
    points_used = min(points_requested, points_cap)
    points_shares = largest_remainder(points_used, final.amounts)
    after_points = [amount - share for amount, share in zip(final.amounts, points_shares,
                                                            strict=True)]
    shipping_shares = largest_remainder(final.shipping, after_points) if lines else []
    return Quote(
        currency=currency,
        subtotal=Money(subtotal, currency),
        discount_total=Money(subtotal - goods, currency),
        shipping=Money(final.shipping, currency),
        points_used=points_used,
        points_value=Money(points_used, currency),
        payable=Money(goods - points_used + final.shipping, currency),
        adjustments=breakdown.adjustments(final, points_used, currency),
        lines=breakdown.quote_lines(cart, final, points_shares, shipping_shares, currency),
        applied_coupon=final.coupon,
        usable_coupons=tuple(pair[0] for pair in usable),
        unusable_coupons=tuple(unusable),
        best_coupon=best_pair[0] if best_pair else None,
        promotions=breakdown.promotion_results(running, final, currency),
        next_tier=breakdown.next_tier(running, final, currency),
        points=PointsSummary(points_balance, points_requested, points_used,
                             min(points_balance, points_cap)),
        member_level=member_level,
    )


def _relevant(cart: Cart, promotion: Promotion) -> bool:
    """Covers a line (and, for a member price, has a price for the buyer's level)."""
    if promotion.kind in LINE_LEVEL and line_percent(promotion, cart.level) is None:
        return False
    return bool(cart.in_scope(promotion.scope))


def _selections(promotions: Sequence[Promotion],
                coupon: CandidateCoupon | None) -> Iterator[list[Promotion]]:
    """Every set of promotions the exclusion groups allow next to ``coupon``."""
    allowed = [p for p in promotions
               if coupon is None or coupon.stacks_with_promotions
               or p.kind != PromotionKind.FULL_REDUCTION]
    if coupon is not None and coupon.exclusion_group is not None:
        allowed = [p for p in allowed if p.exclusion_group != coupon.exclusion_group]
    free = [p for p in allowed if p.exclusion_group is None]
    groups: dict[str, list[Promotion]] = {}
    for promotion in allowed:
        if promotion.exclusion_group is not None:
            groups.setdefault(promotion.exclusion_group, []).append(promotion)
    options: list[list[Promotion | None]] = [[None, *members] for members in groups.values()]
    if math.prod(len(option) for option in options) > MAX_COMBINATIONS:
        options = [[min(members, key=lambda p: (-p.priority, natural(p.id)))]
                   for members in groups.values()]
    for choice in itertools.product(*options):
        yield free + [p for p in choice if p is not None]


def _best(cart: Cart, promotions: Sequence[Promotion],
          coupon: CandidateCoupon | None) -> Outcome | None:
    """The best outcome for the buyer with ``coupon`` applying (None: it never applies).

    Sets go by their goods after promotions, lowest first; a set is skipped once even its
    coupon's largest possible discount and free shipping could not beat the best so far
    (that bound only falls along the order)."""
    staged = sorted(((after_promotions(cart, selection), selection)
                     for selection in _selections(promotions, coupon)),
                    key=lambda pair: pair[0].goods)
    fee = cart.shipping.fees.get(cart.method, 0)
    best: Outcome | None = None
    for before, selection in staged:
        if best is not None:
            goods = before.goods
            bound = cart.subtotal - goods + min(_largest_off(coupon, goods), goods) + fee
            if bound < best.gain:
                break
        outcome = evaluate(cart, selection, coupon)
        if coupon is not None and not outcome.coupon_applies:
            continue
        if best is None or outcome.beats(best):
            best = outcome
    return best


def _largest_off(coupon: CandidateCoupon | None, goods: int) -> int:
    """At most what ``coupon`` can take off the goods."""
    if coupon is None or coupon.kind == CouponKind.FREE_SHIPPING:
        return 0
    if coupon.kind == CouponKind.AMOUNT_OFF:
        return max(coupon.amount_off, 0)
    return goods if coupon.max_discount is None else max(coupon.max_discount, 0)


def _missing(cart: Cart, promotions: Sequence[Promotion], coupon: CandidateCoupon) -> int:
    return min(evaluate(cart, selection, coupon).coupon_missing
               for selection in _selections(promotions, coupon))


def _judge(cart: Cart, promotions: Sequence[Promotion], coupon: CandidateCoupon,
           plain: Outcome) -> UnusableCoupon | tuple[UsableCoupon, Outcome]:
    currency = cart.lines[0].unit_price.currency if cart.lines else "CNY"
    if coupon.valid_from is not None and cart.now < coupon.valid_from:
        return UnusableCoupon(coupon, UnusableReason.NOT_VALID_YET,
                              f"{coupon.valid_from:%Y-%m-%d %H:%M} 起可用")
    if coupon.valid_until is not None and cart.now >= coupon.valid_until:
        return UnusableCoupon(coupon, UnusableReason.EXPIRED, "已过期")
    if not cart.in_scope(coupon.scope):
        return UnusableCoupon(coupon, UnusableReason.OUT_OF_SCOPE, "购物车中没有适用商品")
    outcome = _best(cart, promotions, coupon)
    if outcome is None:
        missing = _missing(cart, promotions, coupon)
        return UnusableCoupon(coupon, UnusableReason.MIN_SPEND_NOT_REACHED,
                              f"还差 {yuan(missing)}", Money(missing, currency))
    if outcome.gain < plain.gain:
        rivals = [p for p in _applied(plain) if _conflicts(coupon, p)]
        if rivals:
            names = "、".join(f"「{p.name}」" for p in rivals)
            return UnusableCoupon(coupon, UnusableReason.EXCLUDED, f"不能与{names}同时使用")
    return UsableCoupon(coupon, Money(outcome.coupon_saving, currency)), outcome


def _conflicts(coupon: CandidateCoupon, promotion: Promotion) -> bool:
    if coupon.exclusion_group is not None and promotion.exclusion_group == coupon.exclusion_group:
        return True
    return not coupon.stacks_with_promotions and promotion.kind == PromotionKind.FULL_REDUCTION


def _applied(outcome: Outcome) -> list[Promotion]:
    ids = {d.source_id for d in outcome.discounts
           if d.kind != AdjustmentKind.COUPON and d.amount}
    return [p for p in outcome.promotions if p.id in ids]


def _chosen(chosen_id: str, coupons: Sequence[CandidateCoupon],
            usable: list[tuple[UsableCoupon, Outcome]],
            unusable: list[UnusableCoupon]) -> Outcome:
    for verdict, outcome in usable:
        if verdict.coupon.user_coupon_id == chosen_id:
            return outcome
    for refusal in unusable:
        if refusal.coupon.user_coupon_id == chosen_id:
            raise CouponNotUsable(chosen_id, refusal.reason, refusal.detail)
    raise CouponNotUsable(chosen_id, UnusableReason.NOT_FOUND, "没有这张优惠券")
