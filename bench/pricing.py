"""Benchmark the pricing engine in-process: a 20-line cart with offers against the same
cart with none.

    .venv/bin/python bench/pricing.py [--help]

Subject: ``marketing.pricing_engine.price`` on a 20-line cart against 10 running
promotions (3 member prices, 3 timed discounts, 4 full reductions; two exclusion groups, so
the engine searches 9 sets of promotions for each coupon) and 5 of the buyer's coupons
(amount off, percent off, free shipping, one that does not stack with promotions, one in an
exclusion group), suggesting the best coupon and spending points, as the cart and the
checkout preview ask. Baseline, same run: the same cart priced with no promotion and no
coupon (the engine's fixed cost: lines, shipping, allocation, the answer's objects).
Rounds alternate which side goes first; each side prices ``--quotes`` times per round.
Machines are shared and noisy: compare the ratio, not the microseconds. A benchmark, not a
test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "marketing"))

from marketing.pricing_engine import price
from marketing.pricing_types import (
    CandidateCoupon,
    CouponKind,
    Money,
    PricingLine,
    Promotion,
    PromotionKind,
    Scope,
    ScopeKind,
    Tier,
)

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
BRANDS = ("xiaomi", "midea", "oppo", "huawei", "gree")


def cart() -> list[PricingLine]:
    return [PricingLine(f"SKU-{i:03d}", 1 + i % 3, Money(1990 + 1370 * i, "CNY"), 100 + i,
                        (1 + i % 4, 10 + i % 8, 100 + i), BRANDS[i % len(BRANDS)])
            for i in range(20)]


def promotions() -> list[Promotion]:
    live = {"starts_at": NOW - WEEK, "ends_at": NOW + WEEK}
    members = [Promotion(f"{i}", PromotionKind.MEMBER_PRICE, f"会员价{i}",
                         Scope(ScopeKind.CATEGORIES, (i,)),
                         level_percents={"silver": 97, "gold": 92 - i, "platinum": 88},
                         priority=i, **live) for i in (1, 2, 3)]
    timed = [Promotion(f"{3 + i}", PromotionKind.TIMED_DISCOUNT, f"限时{i}",
                       Scope(ScopeKind.BRANDS, names=(BRANDS[i],)), percent=85 + i,
                       exclusion_group="flash" if i < 2 else None, **live) for i in (0, 1, 2)]
    reductions = [Promotion(f"{7 + i}", PromotionKind.FULL_REDUCTION, f"满减{i}",
                            Scope(ScopeKind.CATEGORIES, (1 + i,)) if i else Scope(),
                            tiers=(Tier(30000, 4000), Tier(50000, 8000), Tier(100000, 18000)),
                            exclusion_group="store" if i < 2 else None, **live)
                  for i in (0, 1, 2, 3)]
    return members + timed + reductions


def coupons() -> list[CandidateCoupon]:
    until = {"valid_from": NOW - WEEK, "valid_until": NOW + WEEK}
    return [
        CandidateCoupon("u1", "1", "满100减10", CouponKind.AMOUNT_OFF, amount_off=1000,
                        min_spend=10000, **until),
        CandidateCoupon("u2", "2", "9折券", CouponKind.PERCENT_OFF, percent_off=90,
                        max_discount=5000, **until),
        CandidateCoupon("u3", "3", "包邮券", CouponKind.FREE_SHIPPING, **until),
        CandidateCoupon("u4", "4", "满500减120", CouponKind.AMOUNT_OFF, amount_off=12000,
                        min_spend=50000, stacks_with_promotions=False, **until),
        CandidateCoupon("u5", "5", "家电减30", CouponKind.AMOUNT_OFF, amount_off=3000,
                        min_spend=20000, scope=Scope(ScopeKind.CATEGORIES, (2,)),
                        exclusion_group="store", **until),
    ]


def timed_quotes(count: int, **offers: object) -> tuple[float, float]:
    """Microseconds per quote over ``count`` quotes: wall clock, and this process's CPU
    time (steadier on a shared machine: time spent waiting for a core is left out)."""
    lines = cart()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        price(lines, now=NOW, member_level="gold", points_balance=5000, points_requested=3000,
              suggest_coupon=True, delivery_method="standard", **offers)  # type: ignore[arg-type]
    return ((time.perf_counter() - wall) / count * 1e6,
            (time.process_time() - cpu) / count * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quotes", type=int, default=300, help="quotes per side per round")
    args = parser.parse_args()
    offers = {"promotions": promotions(), "coupons": coupons()}
    sample = price(cart(), now=NOW, member_level="gold", points_balance=5000,
                   points_requested=3000, suggest_coupon=True, delivery_method="standard",
                   **offers)  # type: ignore[arg-type]
    applied = [p.name for p in sample.promotions if p.applied]
    coupon = sample.applied_coupon.name if sample.applied_coupon else None
    print(f"subject cart: subtotal {sample.subtotal.amount} fen, discounts "
          f"{sample.discount_total.amount}, payable {sample.payable.amount}; "
          f"applied {applied}, coupon {coupon}")
    timed_quotes(20)
    timed_quotes(20, **offers)  # warm-up
    bare: list[tuple[float, float]] = []
    subject: list[tuple[float, float]] = []
    for round_ in range(args.rounds):
        pair: list[tuple[list[tuple[float, float]], dict[str, object]]] = [
            (bare, {}), (subject, offers)]
        for results, kwargs in pair if round_ % 2 == 0 else reversed(pair):
            results.append(timed_quotes(args.quotes, **kwargs))
        print(f"round {round_ + 1}: no offers {bare[-1][0]:7.1f} us/quote "
              f"({bare[-1][1]:7.1f} CPU)   10 promotions + 5 coupons {subject[-1][0]:7.1f} "
              f"us/quote ({subject[-1][1]:7.1f} CPU)")
    medians = [[statistics.median(run[index] for run in side) for index in (0, 1)]
               for side in (bare, subject)]
    print(f"\nmedian of {args.rounds} rounds x {args.quotes} quotes   wall us/quote   CPU us/quote")
    print(f"  no offers                  {medians[0][0]:13.1f}  {medians[0][1]:13.1f}")
    print(f"  10 promotions + 5 coupons  {medians[1][0]:13.1f}  {medians[1][1]:13.1f}")
    print(f"  ratio (offers / none)      {medians[1][0] / medians[0][0]:12.1f}x "
          f"{medians[1][1] / medians[0][1]:12.1f}x")

if __name__ == "__main__":
    main()
