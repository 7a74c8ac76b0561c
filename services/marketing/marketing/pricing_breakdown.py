"""The quote's breakdown from the engine's chosen outcome: adjustments, lines with their
allocations, the promotions' results and the next full-reduction tier."""

from __future__ import annotations

from collections.abc import Sequence

from marketing.pricing_stages import Cart, Outcome, natural
from marketing.pricing_types import (
    Adjustment,
    AdjustmentKind,
    Allocation,
    Money,
    NextTier,
    Promotion,
    PromotionResult,
    QuoteLine,
    yuan,
)


def adjustments(outcome: Outcome, points: int, currency: str) -> tuple[Adjustment, ...]:
    adjustments = [Adjustment(d.kind, d.source_id, d.label, Money(d.amount, currency))
                   for d in outcome.discounts if d.amount]
    if points:
        adjustments.append(Adjustment(AdjustmentKind.POINTS, None, f"积分抵扣 {points}",
                                      Money(points, currency)))
    if outcome.shipping:
        adjustments.append(Adjustment(AdjustmentKind.SHIPPING, None, "运费",
                                      Money(outcome.shipping, currency)))
    return tuple(adjustments)


def quote_lines(cart: Cart, outcome: Outcome, points: list[int], shipping: list[int],
           currency: str) -> tuple[QuoteLine, ...]:
    lines = []
    for index, line in enumerate(cart.lines):
        allocations = [Allocation(d.kind, d.source_id, Money(d.shares[index], currency))
                       for d in outcome.discounts if d.shares[index]]
        if points[index]:
            allocations.append(Allocation(AdjustmentKind.POINTS, None,
                                          Money(points[index], currency)))
        if shipping[index]:
            allocations.append(Allocation(AdjustmentKind.SHIPPING, None,
                                          Money(shipping[index], currency)))
        payable = outcome.amounts[index] - points[index] + shipping[index]
        lines.append(QuoteLine(line.sku, line.quantity, line.unit_price,
                               Money(cart.subtotals[index], currency), Money(payable, currency),
                               points[index], tuple(allocations)))
    return tuple(lines)


def promotion_results(running: Sequence[Promotion], outcome: Outcome,
                       currency: str) -> tuple[PromotionResult, ...]:
    given = {d.source_id: d.amount for d in outcome.discounts if d.kind != AdjustmentKind.COUPON}
    return tuple(PromotionResult(p.id, p.kind, p.name, given.get(p.id, 0) > 0,
                                 Money(given.get(p.id, 0), currency)) for p in running)


def next_tier(running: Sequence[Promotion], outcome: Outcome,
               currency: str) -> NextTier | None:
    """The closest tier not yet reached among the full reductions of the outcome's set."""
    candidates = []
    for promotion in running:
        base = outcome.fr_bases.get(promotion.id)
        if base is None:
            continue
        above = [tier for tier in promotion.tiers if tier.threshold > base]
        if above:
            tier = min(above, key=lambda t: t.threshold)
            candidates.append((tier.threshold - base, -promotion.priority,
                               natural(promotion.id), promotion, tier))
    if not candidates:
        return None
    missing, _, _, promotion, tier = min(candidates, key=lambda c: c[:3])
    return NextTier(promotion.id, Money(tier.threshold, currency), Money(tier.off, currency),
                    Money(missing, currency), f"再买 {yuan(missing)} 可减 {yuan(tier.off)}")
