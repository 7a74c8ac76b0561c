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
    Scope,
    ShippingRules,
    Tier,
)

LINE_LEVEL = (PromotionKind.MEMBER_PRICE, PromotionKind.TIMED_DISCOUNT)


@dataclass
class Cart:
    """What stays the same across the evaluations of one quote, and what they share: the
    lines each scope covers, each line-level promotion's discount per line, and the state
    after the promotions of each set (a coupon only adds to it)."""

    lines: tuple[PricingLine, ...]
    subtotals: tuple[int, ...]
    level: str | None
    method: DeliveryMethod
    shipping: ShippingRules
    now: datetime
    subtotal: int = 0  # set from the subtotals
    _scopes: dict[Scope, tuple[int, ...]] = field(default_factory=dict)
    _line_offs: dict[str, tuple[int, ...]] = field(default_factory=dict)
    _after_line_level: dict[tuple[str, ...], Outcome] = field(default_factory=dict)
    _after_promotions: dict[tuple[str, ...], Outcome] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.subtotal = sum(self.subtotals)

    def in_scope(self, scope: Scope) -> tuple[int, ...]:
        """The indexes of the lines ``scope`` covers."""
        indexes = self._scopes.get(scope)
        if indexes is None:
            indexes = tuple(i for i, line in enumerate(self.lines) if scope.covers(line))
            self._scopes[scope] = indexes
        return indexes

    def line_offs(self, promotion: Promotion) -> tuple[int, ...]:
        """A line-level promotion's discount on each line (0 where it does not apply)."""
        offs = self._line_offs.get(promotion.id)
        if offs is None:
            percent = line_percent(promotion, self.level)
            offs = [0] * len(self.lines)
            if percent is not None:
                for index in self.in_scope(promotion.scope):
                    offs[index] = pays(self.subtotals[index], percent)
            offs = self._line_offs[promotion.id] = tuple(offs)
        return offs


@dataclass
class Discount:
    """One discount of an outcome and its share on each line."""

    kind: AdjustmentKind
    source_id: str
    label: str
    shares: list[int]
    amount: int


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
    pending: tuple[tuple[int, ...], int] | None = None  # the coupon's lines and fen, unsplit
    base_fee: int = 0  # the method's fee
    shipping: int = 0  # what is charged
    subtotal: int = 0  # the cart's
    gain: int = 0  # the buyer's saving, shipping included (set once complete)

    @property
    def goods(self) -> int:
        return sum(self.amounts) - (self.pending[1] if self.pending else 0)

    def settle(self, cart: Cart) -> Outcome:
        """Splits the coupon over its lines (left until the outcome is chosen)."""
        if self.pending is not None and self.coupon is not None:
            in_scope, off = self.pending
            self.pending = None
            _take(cart, self, in_scope, off, AdjustmentKind.COUPON, self.coupon.template_id,
                  self.coupon.name)
        return self

    def saving(self, subtotal: int) -> int:
        return subtotal - self.goods + self.base_fee - self.shipping

    @property
    def rank(self) -> tuple[int, tuple[object, ...]]:
        """Smaller is better for the buyer: the saving first, then :meth:`applied_key`."""
        return (-self.gain, self.applied_key())

    def beats(self, other: Outcome) -> bool:
        if self.gain != other.gain:
            return self.gain > other.gain
        return self.rank < other.rank

    def applied_key(self) -> tuple[tuple[int, tuple[int, int | str], tuple[int, int | str]], ...]:
        """Tie-break between equal savings: higher priority, then lower id, fewer offers."""
        given = {d.source_id for d in self.discounts
                 if d.kind != AdjustmentKind.COUPON and d.amount}
        keys = [(-promotion.priority, natural(promotion.id), (0, 0))
                for promotion in self.promotions if promotion.id in given]
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


def after_promotions(cart: Cart, promotions: Sequence[Promotion]) -> Outcome:
    """The state after the line-level prices and full reductions of ``promotions``
    (computed once per set and quote; do not change it)."""
    key = tuple(promotion.id for promotion in promotions)
    before = cart._after_promotions.get(key)
    if before is None:
        line_key = tuple(p.id for p in promotions if p.kind in LINE_LEVEL)
        priced = cart._after_line_level.get(line_key)
        if priced is None:
            priced = Outcome((), None, list(cart.subtotals))
            _line_level(cart, promotions, priced)
            cart._after_line_level[line_key] = priced
        before = Outcome(tuple(promotions), None, list(priced.amounts), list(priced.discounts))
        _full_reductions(cart, promotions, before)
        cart._after_promotions[key] = before
    return before


def evaluate(cart: Cart, promotions: Sequence[Promotion],
             coupon: CandidateCoupon | None) -> Outcome:
    before = after_promotions(cart, promotions)
    outcome = Outcome(before.promotions, coupon, list(before.amounts), list(before.discounts),
                      fr_bases=before.fr_bases, subtotal=cart.subtotal)
    if coupon is not None:
        _coupon(cart, coupon, outcome)
    fee = cart.shipping.fees.get(cart.method, 0) if cart.lines else 0
    outcome.base_fee = fee
    if fee:  # 满99包邮: standard and express alike, from the level's threshold
        threshold = cart.shipping.threshold(cart.level)
        if threshold is not None and outcome.goods >= threshold:
            fee = 0
    outcome.shipping = fee
    if outcome.coupon_applies and coupon is not None and coupon.kind == CouponKind.FREE_SHIPPING:
        outcome.coupon_saving = fee
        outcome.shipping = 0
    outcome.gain = outcome.saving(cart.subtotal)
    return outcome


def _line_level(cart: Cart, promotions: Sequence[Promotion], outcome: Outcome) -> None:
    # Higher priority, then lower id first: a later candidate wins only by saving more.
    candidates = sorted((p for p in promotions if p.kind in LINE_LEVEL),
                        key=lambda p: (-p.priority, natural(p.id)))
    if not candidates:
        return
    offs = [cart.line_offs(promotion) for promotion in candidates]
    by_id: dict[str, Discount] = {}
    for index in range(len(cart.lines)):
        best, chosen = 0, -1
        for candidate, line_offs in enumerate(offs):
            if line_offs[index] > best:
                best, chosen = line_offs[index], candidate
        if chosen < 0:
            continue
        promotion = candidates[chosen]
        discount = by_id.get(promotion.id)
        if discount is None:
            discount = Discount(AdjustmentKind(promotion.kind.value), promotion.id,
                                promotion.name, [0] * len(cart.lines), 0)
            by_id[promotion.id] = discount
        discount.shares[index] = best
        discount.amount += best
        outcome.amounts[index] -= best
    outcome.discounts.extend(by_id.values())


def _full_reductions(cart: Cart, promotions: Sequence[Promotion], outcome: Outcome) -> None:
    after_line_level = list(outcome.amounts)
    reductions = sorted((p for p in promotions if p.kind == PromotionKind.FULL_REDUCTION),
                        key=lambda p: (-p.priority, natural(p.id)))
    for promotion in reductions:
        in_scope = cart.in_scope(promotion.scope)
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
    in_scope = cart.in_scope(coupon.scope)
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
        outcome.pending = (in_scope, off)
    outcome.coupon_saving = off


def _take(cart: Cart, outcome: Outcome, in_scope: tuple[int, ...], off: int,
          kind: AdjustmentKind, source_id: str, label: str) -> None:
    shares = [0] * len(cart.lines)
    for index, share in zip(in_scope,
                            largest_remainder(off, [outcome.amounts[i] for i in in_scope]),
                            strict=True):
        shares[index] = share
        outcome.amounts[index] -= share
    outcome.discounts.append(Discount(kind, source_id, label, shares, off))
