"""What the pricing engine takes and answers (see MARKETING.md, "The quote" and "The engine").

Amounts are integer fen. Percentages are what the buyer pays: 80 = 8折 = pay 80 %, for
member prices, timed discounts and ``percent_off`` coupons alike (90 = 9折).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from event_contracts.membership import LEVELS
from event_contracts.vocabulary import AdjustmentKind, CouponKind, DeliveryMethod, PromotionKind
from service_runtime.money import Money

__all__ = [
    "Adjustment", "AdjustmentKind", "Allocation", "CandidateCoupon", "CouponKind",
    "CouponNotUsable", "DeliveryMethod", "Money", "NextTier", "NotEnoughPoints",
    "PointsRules", "PointsSummary", "PricingError", "PricingLine", "Promotion",
    "PromotionKind", "PromotionResult", "Quote", "QuoteLine", "Scope", "ScopeKind",
    "ShippingRules", "Tier", "UnusableCoupon", "UnusableReason", "UsableCoupon",
]


class ScopeKind(StrEnum):
    ALL = "all"
    CATEGORIES = "categories"  # a line counts if any id is in its category_path
    BRANDS = "brands"
    PRODUCTS = "products"


class UnusableReason(StrEnum):
    """Why a coupon of the buyer does not apply to this quote."""

    NOT_FOUND = "not_found"  # the chosen coupon is not among the buyer's candidates
    NOT_VALID_YET = "not_valid_yet"
    EXPIRED = "expired"
    OUT_OF_SCOPE = "out_of_scope"  # no line of the cart is in its scope
    MIN_SPEND_NOT_REACHED = "min_spend_not_reached"
    EXCLUDED = "excluded_by_other_offer"  # an offer it cannot combine with saves more


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind = ScopeKind.ALL
    ids: tuple[int, ...] = ()  # category ids or product ids
    names: tuple[str, ...] = ()  # brand names

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Scope:
        """``{"kind": "all"}`` | ``{"kind": "categories"|"products", "ids": [...]}`` |
        ``{"kind": "brands", "names": [...]}``; None = all."""
        if not data:
            return cls()
        return cls(ScopeKind(data["kind"]), tuple(data.get("ids") or ()),
                   tuple(data.get("names") or ()))

    def to_json(self) -> dict[str, Any]:
        if self.kind == ScopeKind.ALL:
            return {"kind": "all"}
        if self.kind == ScopeKind.BRANDS:
            return {"kind": "brands", "names": list(self.names)}
        return {"kind": self.kind.value, "ids": list(self.ids)}

    def covers(self, line: PricingLine) -> bool:
        if self.kind == ScopeKind.ALL:
            return True
        if self.kind == ScopeKind.CATEGORIES:
            return any(category in self.ids for category in line.category_path)
        if self.kind == ScopeKind.BRANDS:
            return line.brand is not None and line.brand in self.names
        return line.product_id is not None and line.product_id in self.ids


@dataclass(frozen=True)
class PricingLine:
    sku: str
    quantity: int
    unit_price: Money
    product_id: int | None = None
    category_path: tuple[int, ...] = ()  # root first, ending with the product's category
    brand: str | None = None


@dataclass(frozen=True)
class Tier:
    threshold: int  # fen of the scope's goods after line-level discounts
    off: int  # fen


@dataclass(frozen=True)
class Promotion:
    id: str
    kind: PromotionKind
    name: str
    scope: Scope = Scope()
    percent: int | None = None  # timed_discount: pay this percent
    level_percents: Mapping[str, int] = field(default_factory=dict)  # member_price
    tiers: tuple[Tier, ...] = ()  # full_reduction
    exclusion_group: str | None = None
    priority: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None  # exclusive

    def running(self, now: datetime) -> bool:
        return ((self.starts_at is None or self.starts_at <= now)
                and (self.ends_at is None or now < self.ends_at))


@dataclass(frozen=True)
class CandidateCoupon:
    """One coupon the buyer holds (a user coupon) with its template's terms."""

    user_coupon_id: str
    template_id: str
    name: str
    kind: CouponKind
    amount_off: int = 0  # amount_off: fen
    percent_off: int | None = None  # percent_off: pay this percent (90 = 9折)
    max_discount: int | None = None  # percent_off: at most this many fen off
    min_spend: int = 0  # fen of the scope's goods after promotions
    scope: Scope = Scope()
    exclusion_group: str | None = None
    priority: int = 0
    stacks_with_promotions: bool = True  # false: never with a full reduction
    valid_from: datetime | None = None
    valid_until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class ShippingRules:
    """Fees per delivery method and the level's threshold of goods (after discounts, before
    points) from which delivery is free (standard and express alike; pickup costs nothing
    anyway). No level (a guest) = regular's."""

    fees: Mapping[str, int] = field(default_factory=lambda: {
        DeliveryMethod.STANDARD: 1000, DeliveryMethod.EXPRESS: 2000, DeliveryMethod.PICKUP: 0})
    free_thresholds: Mapping[str, int] = field(default_factory=lambda: {
        level.level.value: level.free_shipping_threshold for level in LEVELS})
    default_level: str = "regular"

    def threshold(self, level: str | None) -> int | None:
        if level in self.free_thresholds:
            return self.free_thresholds[level]
        return self.free_thresholds.get(self.default_level)


@dataclass(frozen=True)
class PointsRules:
    max_share_percent: int = 50  # of the goods after discounts; 1 point = 1 fen


class PricingError(Exception):
    """A quote the engine refuses (the API answers 422)."""


class CouponNotUsable(PricingError):
    def __init__(self, user_coupon_id: str, reason: UnusableReason, detail: str = "") -> None:
        super().__init__(detail or reason.value)
        self.user_coupon_id = user_coupon_id
        self.reason = reason
        self.detail = detail or reason.value


class NotEnoughPoints(PricingError):
    def __init__(self, requested: int, balance: int) -> None:
        super().__init__(f"{requested} points requested, the balance is {balance}")
        self.requested = requested
        self.balance = balance


@dataclass(frozen=True)
class Adjustment:
    kind: AdjustmentKind
    source_id: str | None  # promotion id, coupon template id; None for points and shipping
    label: str
    amount: Money  # positive; a discount, or the shipping fee


@dataclass(frozen=True)
class Allocation:
    kind: AdjustmentKind
    source_id: str | None
    amount: Money


@dataclass(frozen=True)
class QuoteLine:
    sku: str
    quantity: int
    unit_price: Money
    subtotal: Money
    payable: Money  # subtotal - its discounts - its points + its share of shipping
    points: int
    allocations: tuple[Allocation, ...]


@dataclass(frozen=True)
class UsableCoupon:
    coupon: CandidateCoupon
    discount: Money  # for free_shipping: the fee it saves


@dataclass(frozen=True)
class UnusableCoupon:
    coupon: CandidateCoupon
    reason: UnusableReason
    detail: str  # for the buyer, e.g. "还差 ¥23.00"
    missing: Money | None = None  # min_spend_not_reached: how much more to buy


@dataclass(frozen=True)
class PromotionResult:
    id: str
    kind: PromotionKind
    name: str
    applied: bool
    discount: Money


@dataclass(frozen=True)
class NextTier:
    promotion_id: str
    threshold: Money
    off: Money
    missing: Money
    hint: str  # "再买 ¥23.00 可减 ¥40.00"


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    requested: int
    used: int
    max_usable: int


@dataclass(frozen=True)
class Quote:
    currency: str
    subtotal: Money
    discount_total: Money
    shipping: Money
    points_used: int
    points_value: Money
    payable: Money  # subtotal - discount_total - points_value + shipping
    adjustments: tuple[Adjustment, ...]
    lines: tuple[QuoteLine, ...]
    applied_coupon: CandidateCoupon | None
    usable_coupons: tuple[UsableCoupon, ...]
    unusable_coupons: tuple[UnusableCoupon, ...]
    best_coupon: UsableCoupon | None
    promotions: tuple[PromotionResult, ...]
    next_tier: NextTier | None
    points: PointsSummary
    member_level: str | None


def yuan(fen: int) -> str:
    """``2300`` -> ``"¥23.00"``."""
    return f"¥{fen // 100}.{fen % 100:02d}"
