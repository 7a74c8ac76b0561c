"""The marketing rules in plain Python: nothing here touches a database or Flask."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from event_contracts.membership import LEVEL_VALUES
from event_contracts.pricing import SCOPE_KINDS
from event_contracts.vocabulary import CouponKind, PromotionKind
from service_runtime.errors import Conflict, InvalidInput, NotFound

MAX_NAME = 100
MAX_TIERS = 10
MAX_ISSUE_USERS = 500
AUTO_ISSUE = ("none", "new_user", "purchase_reward", *(f"level:{lv}" for lv in LEVEL_VALUES))


class CouponStatus(StrEnum):
    AVAILABLE = "available"
    LOCKED = "locked"  # in an unpaid order
    USED = "used"  # the order was paid
    EXPIRED = "expired"


class OfferStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


# -- problems -------------------------------------------------------------------------


class CouponNotFound(NotFound):
    slug, title = "coupon-not-found", "No such coupon"


class PromotionNotFound(NotFound):
    slug, title = "promotion-not-found", "No such promotion"


class InvalidOffer(InvalidInput):
    """A coupon template or promotion whose fields do not fit together."""

    slug, title = "invalid-offer", "The offer's fields do not fit together"


class SoldOut(Conflict):
    slug, title = "coupon-sold-out", "No coupons of this kind are left"


class LimitReached(Conflict):
    slug, title = "coupon-limit-reached", "You already hold as many of this coupon as allowed"


class NotClaimable(Conflict):
    slug, title = "coupon-not-claimable", "This coupon cannot be claimed now"


class UnknownRedeemCode(NotFound):
    slug, title = "redeem-code-not-found", "No coupon has this code"


class CouponNotUsable(InvalidInput):
    slug, title = "coupon-not-usable", "This coupon cannot be used for this order"


class NotEnoughPoints(InvalidInput):
    slug, title = "not-enough-points", "Not enough points"


# -- validation -------------------------------------------------------------------------


def check_scope(scope: Mapping[str, Any]) -> None:
    kind = scope.get("kind")
    if kind not in SCOPE_KINDS:
        raise InvalidOffer(f"scope.kind must be one of {', '.join(SCOPE_KINDS)}")
    if kind in ("categories", "products") and not scope.get("ids"):
        raise InvalidOffer(f"a {kind} scope names at least one id in scope.ids")
    if kind == "brands" and not scope.get("names"):
        raise InvalidOffer("a brands scope names at least one brand in scope.names")


def check_coupon_template(t: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidOffer` unless the (merged) template's fields fit together."""
    kind = t["kind"]
    if kind == CouponKind.AMOUNT_OFF:
        if not t.get("amount_off"):
            raise InvalidOffer("an amount_off coupon needs amount_off > 0")
        if t.get("min_spend") and t["amount_off"] > t["min_spend"]:
            raise InvalidOffer("amount_off may not exceed min_spend")
    elif kind == CouponKind.PERCENT_OFF and (
            not t.get("percent_off") or not 1 <= t["percent_off"] <= 99):
        raise InvalidOffer("a percent_off coupon needs percent_off between 1 and 99 "
                           "(what the buyer pays: 90 = 9折)")
    if kind != CouponKind.AMOUNT_OFF and t.get("amount_off"):
        raise InvalidOffer(f"a {kind} coupon has no amount_off")
    if kind != CouponKind.PERCENT_OFF and (t.get("percent_off") or t.get("max_discount")):
        raise InvalidOffer(f"a {kind} coupon has no percent_off or max_discount")
    check_scope(t["scope"])
    if t.get("valid_days") is None:
        if t.get("valid_until") is None:
            raise InvalidOffer("give valid_until (fixed dates) or valid_days (after claiming)")
        if t.get("valid_from") is not None and t["valid_from"] >= t["valid_until"]:
            raise InvalidOffer("valid_from must be before valid_until")
    elif t.get("valid_from") is not None or t.get("valid_until") is not None:
        raise InvalidOffer("give either fixed dates or valid_days, not both")
    if t.get("auto_issue", "none") not in AUTO_ISSUE:
        raise InvalidOffer(f"auto_issue must be one of {', '.join(AUTO_ISSUE)}")
    if t["issued"] > t["total_quantity"]:
        raise InvalidOffer(f"{t['issued']} are issued already: total_quantity may not be less")


def check_promotion(p: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidOffer` unless the (merged) promotion's fields fit together."""
    kind = p["kind"]
    check_scope(p["scope"])
    if p["starts_at"] >= p["ends_at"]:
        raise InvalidOffer("starts_at must be before ends_at")
    tiers, percent, members = p.get("tiers"), p.get("percent"), p.get("member_percents")
    if kind == PromotionKind.FULL_REDUCTION:
        if not tiers:
            raise InvalidOffer("a full_reduction needs tiers [{threshold, off}]")
        thresholds = [tier["threshold"] for tier in tiers]
        if thresholds != sorted(set(thresholds)):
            raise InvalidOffer("tiers go up: each threshold above the one before")
        if any(not 0 < tier["off"] <= tier["threshold"] for tier in tiers):
            raise InvalidOffer("each tier takes off more than 0 and at most its threshold")
        offs = [tier["off"] for tier in tiers]
        if offs != sorted(offs):
            raise InvalidOffer("a higher tier takes off at least as much as a lower one")
    elif kind == PromotionKind.TIMED_DISCOUNT:
        if percent is None or not 1 <= percent <= 99:
            raise InvalidOffer("a timed_discount needs percent between 1 and 99 (80 = 8折)")
    elif kind == PromotionKind.MEMBER_PRICE:
        if not members:
            raise InvalidOffer("a member_price needs member_percents {level: percent}")
        if any(level not in LEVEL_VALUES or not 1 <= value <= 99
               for level, value in members.items()):
            raise InvalidOffer(f"member_percents: levels of {', '.join(LEVEL_VALUES)}, "
                               "percents between 1 and 99")
    if kind != PromotionKind.FULL_REDUCTION and tiers:
        raise InvalidOffer(f"a {kind} has no tiers")
    if kind != PromotionKind.TIMED_DISCOUNT and percent is not None:
        raise InvalidOffer(f"a {kind} has no percent")
    if kind != PromotionKind.MEMBER_PRICE and members:
        raise InvalidOffer(f"a {kind} has no member_percents")


# -- coupons in time ----------------------------------------------------------------------


def validity(valid_from: datetime | None, valid_until: datetime | None,
             valid_days: int | None, issued_at: datetime) -> tuple[datetime, datetime | None]:
    """A new user coupon's validity: the template's dates, or ``valid_days`` from now."""
    if valid_days is not None:
        return issued_at, issued_at + timedelta(days=valid_days)
    return valid_from or issued_at, valid_until


def status_at(status: str, valid_until: datetime | None, at: datetime) -> str:
    """What a coupon is at ``at``: an available one past its validity is expired even
    before the expiry job marked it."""
    if status == CouponStatus.AVAILABLE and valid_until is not None and valid_until <= at:
        return CouponStatus.EXPIRED.value
    return status


def level_template(level: str) -> str:
    """The ``auto_issue`` value of the templates given to members reaching ``level``."""
    return f"level:{level}"
