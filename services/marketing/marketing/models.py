"""The marketing service's tables (its migrations create exactly these)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_runtime.money import Money
from service_runtime.types import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class CouponTemplate(Base):
    """A coupon as operations define it; user coupons are issued from it.

    ``issued`` only grows by a conditional UPDATE (``issued < total_quantity``), so the
    quantity holds however many buyers claim at once.
    """

    __tablename__ = "coupon_templates"
    __table_args__ = (
        CheckConstraint("issued >= 0 AND issued <= total_quantity",
                        name="ck_coupon_templates_issued"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))  # CouponKind
    currency: Mapped[str] = mapped_column(String(3))
    amount_off: Mapped[int | None] = mapped_column(Integer, nullable=True)
    percent_off: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 90 = 9折
    max_discount: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_spend: Mapped[int] = mapped_column(Integer, default=0)
    scope: Mapped[dict] = mapped_column(JSON)
    # Validity: fixed dates, or ``valid_days`` after the coupon was issued.
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    valid_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total_quantity: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)
    member_levels: Mapped[list | None] = mapped_column(JSON, nullable=True)
    claimable: Mapped[bool] = mapped_column(Boolean, default=True)
    redeem_code: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)
    # none | new_user | purchase_reward | level:<level>
    auto_issue: Mapped[str] = mapped_column(String(30), default="none", index=True)
    exclusion_group: Mapped[str | None] = mapped_column(String(40), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    stacks_with_promotions: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | paused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def remaining(self) -> int:
        return max(0, self.total_quantity - self.issued)

    def money(self, amount: int | None) -> Money | None:
        return None if amount is None else Money(amount, self.currency)


class UserCoupon(Base):
    """One coupon a buyer holds: available -> locked (in an unpaid order) -> used; back to
    available when that order is cancelled; expired after ``valid_until``."""

    __tablename__ = "user_coupons"
    __table_args__ = (
        # The buyer's n-th coupon of a template: two concurrent claims cannot both be it.
        UniqueConstraint("template_id", "user_id", "nth", name="uq_user_coupons_nth"),
        Index("ix_user_coupons_user_status", "user_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    template_id: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    nth: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(20))  # claim | redeem | admin | auto
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Promotion(Base):
    """A running offer: full-reduction tiers, a timed discount or member prices."""

    __tablename__ = "promotions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # PromotionKind
    currency: Mapped[str] = mapped_column(String(3))
    scope: Mapped[dict] = mapped_column(JSON)
    tiers: Mapped[list | None] = mapped_column(JSON, nullable=True)  # [{threshold, off}]
    percent: Mapped[int | None] = mapped_column(Integer, nullable=True)  # timed discount
    member_percents: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # level -> %
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    exclusion_group: Mapped[str | None] = mapped_column(String(40), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | paused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProductView(Base):
    """What scopes need of a catalog product, kept from ``ProductUpdated``."""

    __tablename__ = "products"

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    brand: Mapped[str] = mapped_column(String(100))
    category_path: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberView(Base):
    """A member's level and points balance, kept from ``MembershipChanged`` (newest wins)."""

    __tablename__ = "members"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))
    growth: Mapped[int] = mapped_column(Integer)
    points_balance: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrderRecord(Base):
    """An order that carried a discount, for the statistics: what it paid and how far it
    got (placed -> paid, or cancelled)."""

    __tablename__ = "order_records"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    # Null until its OrderPlaced arrived (events of other topics may come first).
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_coupon_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(10))  # placed | paid | cancelled
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrderDiscount(Base):
    """One discount of a recorded order, by its source (a coupon template or promotion)."""

    __tablename__ = "order_discounts"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)


# -- group buys (拼团) ---------------------------------------------------------------------


class GroupBuyCampaign(Base):
    """A group-buy campaign: one SKU at ``group_price`` for groups of ``group_size`` buyers
    who each pay within ``fill_seconds`` of the group's start (capped at ``ends_at``)."""

    __tablename__ = "group_buy_campaigns"
    __table_args__ = (
        CheckConstraint("group_size >= 2 AND group_size <= 10", name="ck_group_buy_size"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(64), index=True)
    product_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    group_price: Mapped[int] = mapped_column(Integer)  # fen per unit
    group_size: Mapped[int] = mapped_column(Integer)
    fill_seconds: Mapped[int] = mapped_column(Integer)
    per_user_limit: Mapped[int] = mapped_column(Integer)  # live memberships per buyer
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10))  # CampaignStatus
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BuyGroup(Base):
    """One group of a campaign. ``members`` (places taken) and ``paid`` only move by
    conditional UPDATEs (``members < size``, ``status = 'open'``), so concurrent joins never
    overfill it and it succeeds or fails exactly once."""

    __tablename__ = "group_buy_groups"
    __table_args__ = (
        CheckConstraint("members >= 0 AND members <= size", name="ck_group_buy_members"),
        CheckConstraint("paid >= 0 AND paid <= members", name="ck_group_buy_paid"),
        Index("ix_group_buy_groups_status_expires", "status", "expires_at"),
        Index("ix_group_buy_groups_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(40))
    leader_user_id: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(Integer)
    paid: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # GroupStatus
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class GroupMember(Base):
    """An order holding (or having held) a place in a group: held -> paid, or left."""

    __tablename__ = "group_buy_members"
    __table_args__ = (Index("ix_group_buy_members_group", "group_id", "status"),)

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))  # MemberStatus
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class GroupBuyerCount(Base):
    """A buyer's live memberships in a campaign: the per-user limit is a conditional
    UPDATE on this counter (``live < limit``), race-safe where counting rows is not."""

    __tablename__ = "group_buy_buyers"
    __table_args__ = (CheckConstraint("live >= 0", name="ck_group_buy_buyers_live"),)

    campaign_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    live: Mapped[int] = mapped_column(Integer)


class SkuListPrice(Base):
    """A SKU's list price, kept from ``ProductUpdated`` (newest wins): campaigns show it
    next to their own price."""

    __tablename__ = "sku_list_prices"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
from marketing import flash_models  # noqa: E402,F401  the flash-sale tables, on this Base
