"""One evaluation of the engine: a chosen set of promotions and at most one coupon applied
to the cart in MARKETING.md's order (line-level price, full reductions, coupon, shipping).

The engine (``pricing_engine``) searches the sets the exclusion groups allow and keeps the
best outcome; points and the shipping allocation come after, on that outcome only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from marketing.allocation import largest_remainder
from marketing.pricing_types import (
    AdjustmentKind,
    CandidateCoupon,
    CouponKind,
    DeliveryMethod,
    PricingLine,
    Promotion,
    PromotionKind,
    ShippingRules,
    Tier,
)

LINE_LEVEL = (PromotionKind.MEMBER_PRICE, PromotionKind.TIMED_DISCOUNT)


@dataclass(frozen=True)
class Cart:
    """What stays the same across the evaluations of one quote."""

    lines: tuple[PricingLine, ...]
    subtotals: tuple[int, ...]
    level: str | None
    method: DeliveryMethod
    shipping: ShippingRules
    now: datetime


@dataclass
class Discount:
    """One discount of an outcome and its share on each line."""

    kind: AdjustmentKind
    source_id: str
    label: str
    shares: list[int]

    @property
    def amount(self) -> int:
        return sum(self.shares)


@dataclass
class Outcome:
    promotions: tuple[Promotion, ...]  # the set evaluated
    coupon: CandidateCoupon | None
    amounts: list[int]  # per line after every discount
    discounts: list[Discount] = field(default_factory=list)
    coupon_applies: bool = False
    coupon_saving: int = 0  # goods discount, or the shipping a free_shipping coupon saves
    coupon_missing: int = 0  # min_spend_not_reached: fen more to reach it
    fr_bases: dict[str, int] = field(default_factory=dict)  # full reduction id -> its base
    base_fee: int = 0  # the method's fee
    shipping: int = 0  # what is charged

    @property
    def goods(self) -> int:
        return sum(self.amounts)

    def saving(self, subtotal: int) -> int:
        return subtotal - self.goods + self.base_fee - self.shipping

    def applied_key(self) -> tuple[tuple[int, tuple[int, int | str], tuple[int, int | str]], ...]:
        """Tie-break between equal savings: higher priority, then lower id, fewer offers."""
        keys = [(-promotion.priority, natural(promotion.id), (0, 0))
                for promotion in self.promotions
                if any(d.source_id == promotion.id and d.kind != AdjustmentKind.COUPON
                       and d.amount for d in self.discounts)]
        if self.coupon is not None and self.coupon_saving:
            keys.append((-self.coupon.priority, natural(self.coupon.template_id),
                         natural(self.coupon.user_coupon_id)))
        return tuple(sorted(keys))


def natural(identifier: str) -> tuple[int, int | str]:
    """Ids compare as numbers when they are numbers ("9" before "10")."""
    return (0, int(identifier)) if identifier.isdigit() else (1, identifier)


def pays(amount: int, percent: int) -> int:
    """The discount when the buyer pays ``percent`` of ``amount`` (rounded in their favour
    by no more than a fen: the discount is rounded down)."""
    percent = min(max(percent, 0), 100)
    return amount * (100 - percent) // 100


def line_percent(promotion: Promotion, level: str | None) -> int | None:
    if promotion.kind == PromotionKind.TIMED_DISCOUNT:
        return promotion.percent
    if promotion.kind == PromotionKind.MEMBER_PRICE and level is not None:
        return promotion.level_percents.get(level)
    return None


def reached_tier(tiers: Sequence[Tier], base: int) -> Tier | None:
    reached = [tier for tier in tiers if tier.threshold <= base]
    return max(reached, key=lambda tier: (tier.threshold, tier.off)) if reached else None


def evaluate(cart: Cart, promotions: Sequence[Promotion],
             coupon: CandidateCoupon | None) -> Outcome:
    outcome = Outcome(tuple(promotions), coupon, list(cart.subtotals))
    _line_level(cart, promotions, outcome)
    _full_reductions(cart, promotions, outcome)
    if coupon is not None:
        _coupon(cart, coupon, outcome)
    fee = cart.shipping.fees.get(cart.method, 0) if cart.lines else 0
    outcome.base_fee = fee
    if fee and cart.method == DeliveryMethod.STANDARD:
        threshold = cart.shipping.threshold(cart.level)
        if threshold is not None and outcome.goods >= threshold:
            fee = 0
    outcome.shipping = fee
    if outcome.coupon_applies and coupon is not None and coupon.kind == CouponKind.FREE_SHIPPING:
        outcome.coupon_saving = fee
        outcome.shipping = 0
    return outcome


def _line_level(cart: Cart, promotions: Sequence[Promotion], outcome: Outcome) -> None:
    # Higher priority, then lower id first: a later candidate wins only by saving more.
    candidates = sorted((p for p in promotions if p.kind in LINE_LEVEL),
                        key=lambda p: (-p.priority, natural(p.id)))
    if not candidates:
        return
    by_id: dict[str, Discount] = {}
    for index, line in enumerate(cart.lines):
        best, chosen = 0, None
        for promotion in candidates:
            percent = line_percent(promotion, cart.level)
            if percent is None or not promotion.scope.covers(line):
                continue
            off = pays(cart.subtotals[index], percent)
            if off > best:
                best, chosen = off, promotion
        if chosen is None:
            continue
        discount = by_id.get(chosen.id)
        if discount is None:
            discount = Discount(AdjustmentKind(chosen.kind.value), chosen.id, chosen.name,
                                [0] * len(cart.lines))
            by_id[chosen.id] = discount
        discount.shares[index] = best
        outcome.amounts[index] -= best
    outcome.discounts.extend(by_id.values())


def _full_reductions(cart: Cart, promotions: Sequence[Promotion], outcome: Outcome) -> None:
    after_line_level = list(outcome.amounts)
    reductions = sorted((p for p in promotions if p.kind == PromotionKind.FULL_REDUCTION),
                        key=lambda p: (-p.priority, natural(p.id)))
    for promotion in reductions:
        in_scope = [i for i, line in enumerate(cart.lines) if promotion.scope.covers(line)]
        if not in_scope:
            continue
        base = sum(after_line_level[i] for i in in_scope)
        outcome.fr_bases[promotion.id] = base
        tier = reached_tier(promotion.tiers, base)
        if tier is None:
            continue
        off = min(tier.off, sum(outcome.amounts[i] for i in in_scope))
        if off <= 0:
            continue
        _take(cart, outcome, in_scope, off,
              AdjustmentKind.FULL_REDUCTION, promotion.id, promotion.name)


def _coupon(cart: Cart, coupon: CandidateCoupon, outcome: Outcome) -> None:
    in_scope = [i for i, line in enumerate(cart.lines) if coupon.scope.covers(line)]
    if not in_scope:
        return
    base = sum(outcome.amounts[i] for i in in_scope)
    if base < coupon.min_spend:
        outcome.coupon_missing = coupon.min_spend - base
        return
    outcome.coupon_applies = True
    if coupon.kind == CouponKind.FREE_SHIPPING:
        return  # its saving is the shipping, settled after the goods
    if coupon.kind == CouponKind.AMOUNT_OFF:
        off = coupon.amount_off
    else:
        off = pays(base, coupon.percent_off if coupon.percent_off is not None else 100)
        if coupon.max_discount is not None:
            off = min(off, coupon.max_discount)
    off = min(max(off, 0), base)
    if off:
        _take(cart, outcome, in_scope, off, AdjustmentKind.COUPON, coupon.template_id,
              coupon.name)
    outcome.coupon_saving = off


def _take(cart: Cart, outcome: Outcome, in_scope: list[int], off: int,
          kind: AdjustmentKind, source_id: str, label: str) -> None:
    shares = [0] * len(cart.lines)
    for index, share in zip(in_scope,
                            largest_remainder(off, [outcome.amounts[i] for i in in_scope]),
                            strict=True):
        shares[index] = share
        outcome.amounts[index] -= share
    outcome.discounts.append(Discount(kind, source_id, label, shares))
