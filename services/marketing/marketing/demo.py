"""The demo offers ``python -m marketing load-demo`` loads (idempotent: fixed ids, a row
that exists already is left as it is). Category ids are the demo catalog's (31 茶叶 Tea,
22 影音娱乐 Audio)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marketing.group_buys import demo_campaign
from marketing.models import CouponTemplate, GroupBuyCampaign, Promotion
from service_runtime.db import Database, insert_if_absent
from service_runtime.ids import utcnow

TEA, AUDIO = 31, 22


def demo_id(prefix: str, n: int) -> str:
    """Ids in the time-ordered shape (so lists page over them), older than any real one."""
    return f"{prefix}_{n:022x}"


def coupons() -> list[dict[str, Any]]:
    now = utcnow()
    every = {"kind": "all"}
    return [
        {"id": demo_id("cpt", 1), "name": "新人券 满100减10", "kind": "amount_off",
         "amount_off": 1000, "min_spend": 10000, "scope": every, "valid_days": 30,
         "total_quantity": 1_000_000, "claimable": False, "auto_issue": "new_user",
         "description": "注册即送，领取后 30 天内有效"},
        {"id": demo_id("cpt", 2), "name": "全场9折券 最高减50", "kind": "percent_off",
         "percent_off": 90, "max_discount": 5000, "scope": every, "valid_days": 7,
         "total_quantity": 1000},
        {"id": demo_id("cpt", 3), "name": "包邮券", "kind": "free_shipping", "scope": every,
         "valid_days": 15, "total_quantity": 10_000, "per_user_limit": 2},
        {"id": demo_id("cpt", 4), "name": "兑换码 满200减30", "kind": "amount_off",
         "amount_off": 3000, "min_spend": 20000, "scope": every, "valid_from": now,
         "valid_until": now + timedelta(days=90), "total_quantity": 5000,
         "claimable": False, "redeem_code": "WELCOME2026"},
        {"id": demo_id("cpt", 5), "name": "黄金会员券 满300减50", "kind": "amount_off",
         "amount_off": 5000, "min_spend": 30000, "scope": every, "valid_days": 30,
         "total_quantity": 100_000, "claimable": False, "auto_issue": "level:gold"},
    ]


def promotions() -> list[dict[str, Any]]:
    now = utcnow()
    window = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=365)}
    return [
        {"id": demo_id("prm", 1), "name": "满300减40，满500减80", "kind": "full_reduction",
         "scope": {"kind": "all"}, "tiers": [{"threshold": 30000, "off": 4000},
                                             {"threshold": 50000, "off": 8000}], **window},
        {"id": demo_id("prm", 2), "name": "茶叶限时9折", "kind": "timed_discount",
         "scope": {"kind": "categories", "ids": [TEA]}, "percent": 90, **window},
        {"id": demo_id("prm", 3), "name": "影音会员价", "kind": "member_price",
         "scope": {"kind": "categories", "ids": [AUDIO]},
         "member_percents": {"gold": 95, "platinum": 90}, **window},
    ]


# The demo group buy (拼团): the rice cooker (list ¥299) at ¥199 in groups of 3, 24 h to fill.
GROUP_BUY_SKU, GROUP_BUY_PRODUCT, GROUP_BUY_PRICE = "RICE-COOKER-3L", 3, 19900


def load_demo_offers(db: Database) -> tuple[int, int]:
    """Add the demo coupons, promotions and group buy that are not there yet; how many
    coupons and promotions."""
    at = utcnow()
    added_coupons = added_promotions = 0
    with db.transaction() as session:
        for coupon in coupons():
            values = {"currency": "CNY", "min_spend": 0, "issued": 0, "per_user_limit": 1,
                      "claimable": True, "auto_issue": "none", "priority": 0,
                      "stacks_with_promotions": True, "status": "active",
                      "created_at": at, "updated_at": at, **coupon}
            added_coupons += insert_if_absent(session, CouponTemplate, **values)
        for promotion in promotions():
            values = {"currency": "CNY", "priority": 0, "status": "active",
                      "created_at": at, "updated_at": at, **promotion}
            added_promotions += insert_if_absent(session, Promotion, **values)
        insert_if_absent(session, GroupBuyCampaign, **demo_campaign(
            at, demo_id("gbc", 1), GROUP_BUY_SKU, GROUP_BUY_PRODUCT, GROUP_BUY_PRICE))
    return added_coupons, added_promotions
