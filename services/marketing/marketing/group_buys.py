"""Group-buy (拼团) campaigns: admins create, list and end them; buyers see those running
with their open groups, and a group's members; the quote prices an order at the group
price (``@register(CampaignKind.GROUP_BUY)``).

Holding places in groups (the order saga) and the deadline timer are ``marketing.groups``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from event_contracts.vocabulary import AdjustmentKind, CampaignKind
from marketing.campaign_prices import CampaignPrice, UnknownCampaign, register
from marketing.group_rules import (
    LIVE,
    CampaignNotFound,
    CampaignNotRunning,
    CampaignStatus,
    GroupLimitReached,
    GroupNotFound,
    GroupNotJoinable,
    GroupStatus,
    check_campaign,
    join_refusal,
    mask_user,
    running,
)
from marketing.models import BuyGroup, GroupBuyCampaign, GroupBuyerCount, GroupMember, SkuListPrice
from service_runtime.db import Database
from service_runtime.ids import time_ordered_id, utcnow
from service_runtime.money import money_json
from service_runtime.paging import Page, page_of

OPEN_GROUPS_SHOWN = 20
LABEL = "拼团价"


def campaign_json(c: GroupBuyCampaign, list_price: SkuListPrice | None = None,
                  admin: bool = False) -> dict[str, Any]:
    shown = {
        "id": c.id, "name": c.name, "sku": c.sku, "product_id": c.product_id,
        "group_price": money_json(c.group_price, c.currency),
        "list_price": money_json(list_price.amount, list_price.currency)
        if list_price is not None else None,
        "group_size": c.group_size, "fill_seconds": c.fill_seconds,
        "per_user_limit": c.per_user_limit, "starts_at": c.starts_at, "ends_at": c.ends_at,
        "status": c.status,
    }
    if admin:
        shown.update(created_at=c.created_at, updated_at=c.updated_at)
    return shown


def create_campaign(db: Database, body: dict[str, Any]) -> dict[str, Any]:
    """An admin's new campaign (``fill_hours`` or ``fill_seconds``, stored in seconds)."""
    at = utcnow()
    fill = body.get("fill_seconds") or int(body.get("fill_hours") or 0) * 3600
    values = {"name": body.get("name") or body["sku"], "sku": body["sku"],
              "product_id": body.get("product_id"),
              "currency": body["group_price"]["currency"],
              "group_price": body["group_price"]["amount"], "group_size": body["group_size"],
              "fill_seconds": fill, "per_user_limit": body["per_user_limit"],
              "starts_at": body.get("starts_at") or at, "ends_at": body["ends_at"]}
    check_campaign(values)
    campaign = GroupBuyCampaign(id=time_ordered_id("gbc"), status=CampaignStatus.ACTIVE.value,
                                created_at=at, updated_at=at, **values)
    with db.transaction() as session:
        session.add(campaign)
    return campaign_json(campaign, admin=True)


def end_campaign(db: Database, campaign_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """End a campaign early: no new group or member; its open groups fail at the timer's
    next pass (their deadline becomes now)."""
    at = utcnow()
    with db.transaction() as session:
        campaign = session.get(GroupBuyCampaign, campaign_id, with_for_update=True)
        if campaign is None:
            raise CampaignNotFound(f"no group-buy campaign {campaign_id}")
        if body.get("status") == CampaignStatus.ENDED and campaign.status != CampaignStatus.ENDED:
            campaign.status = CampaignStatus.ENDED.value
            campaign.ends_at = min(campaign.ends_at, at)
            campaign.updated_at = at
            session.execute(update(BuyGroup)
                            .where(BuyGroup.campaign_id == campaign_id,
                                   BuyGroup.status == GroupStatus.OPEN.value,
                                   BuyGroup.expires_at > at)
                            .values(expires_at=at)
                            .execution_options(synchronize_session=False))
        session.flush()
        return campaign_json(campaign, admin=True)


def list_campaigns(db: Database, limit: int, cursor: str | None) -> Page[dict[str, Any]]:
    with db.read() as session:
        query = select(GroupBuyCampaign)
        if cursor:
            query = query.where(GroupBuyCampaign.id < cursor)
        rows = list(session.scalars(query.order_by(GroupBuyCampaign.id.desc()).limit(limit + 1)))
    page = page_of(rows, limit)
    return Page([campaign_json(c, admin=True) for c in page.items], page.next_cursor)


def _list_prices(session: Session, skus: set[str]) -> dict[str, SkuListPrice]:
    if not skus:
        return {}
    return {p.sku: p for p in session.scalars(
        select(SkuListPrice).where(SkuListPrice.sku.in_(skus)))}


def open_group_json(g: BuyGroup) -> dict[str, Any]:
    return {"id": g.id, "needed": g.size - g.members, "expires_at": g.expires_at}


def running_campaigns(db: Database) -> dict[str, Any]:
    """``GET /group-buys``: campaigns running now, each with open groups to join (those
    closest to their deadline first) and the server's clock for countdowns."""
    at = utcnow()
    with db.read() as session:
        campaigns = list(session.scalars(
            select(GroupBuyCampaign)
            .where(GroupBuyCampaign.status == CampaignStatus.ACTIVE.value,
                   GroupBuyCampaign.starts_at <= at, GroupBuyCampaign.ends_at > at)
            .order_by(GroupBuyCampaign.ends_at, GroupBuyCampaign.id)))
        prices = _list_prices(session, {c.sku for c in campaigns})
        items = []
        for c in campaigns:
            groups = session.scalars(
                select(BuyGroup)
                .where(BuyGroup.campaign_id == c.id, BuyGroup.status == GroupStatus.OPEN.value,
                       BuyGroup.expires_at > at, BuyGroup.members < BuyGroup.size)
                .order_by(BuyGroup.expires_at).limit(OPEN_GROUPS_SHOWN))
            items.append({**campaign_json(c, prices.get(c.sku)),
                          "open_groups": [open_group_json(g) for g in groups]})
    return {"items": items, "server_time": at}


def get_campaign(db: Database, campaign_id: str) -> dict[str, Any]:
    at = utcnow()
    with db.read() as session:
        campaign = session.get(GroupBuyCampaign, campaign_id)
        if campaign is None:
            raise CampaignNotFound(f"no group-buy campaign {campaign_id}")
        price = _list_prices(session, {campaign.sku}).get(campaign.sku)
        return {**campaign_json(campaign, price), "server_time": at}


def get_group(db: Database, group_id: str) -> dict[str, Any]:
    """``GET /group-buys/groups/{id}``: members (masked, paid or not), places still
    needed, the deadline, the status and the server's clock."""
    at = utcnow()
    with db.read() as session:
        group = session.get(BuyGroup, group_id)
        if group is None:
            raise GroupNotFound(f"no group {group_id}")
        campaign = session.get(GroupBuyCampaign, group.campaign_id)
        assert campaign is not None
        members = session.scalars(select(GroupMember)
                                  .where(GroupMember.group_id == group_id,
                                         GroupMember.status.in_(LIVE))
                                  .order_by(GroupMember.held_at, GroupMember.order_id))
        return {
            "id": group.id, "campaign_id": group.campaign_id, "sku": campaign.sku,
            "product_id": campaign.product_id,
            "group_price": money_json(campaign.group_price, campaign.currency),
            "size": group.size, "needed": group.size - group.members, "status": group.status,
            "expires_at": group.expires_at,
            "members": [{"user": mask_user(m.user_id), "paid": m.status == "paid",
                         "leader": m.user_id == group.leader_user_id} for m in members],
            "server_time": at,
        }


@register(CampaignKind.GROUP_BUY)
def group_price(session: Session, campaign: Mapping[str, Any], user_id: str | None,
                skus: list[str], at: datetime) -> CampaignPrice:
    """The quote's lookup: the campaign runs, the lines are its SKU, the group (when
    joining) is open and has a place, the buyer is within the limit and not in it yet."""
    row = session.get(GroupBuyCampaign, campaign["campaign_id"])
    if row is None or any(sku != row.sku for sku in skus):
        raise UnknownCampaign(f"group buy {campaign['campaign_id']} does not sell these SKUs")
    if not running(row.status, row.starts_at, row.ends_at, at):
        raise CampaignNotRunning(f"group buy {row.id} is not running")
    group_id = campaign.get("group_id")
    if group_id:
        group = session.get(BuyGroup, group_id)
        if group is None or group.campaign_id != row.id:
            raise GroupNotFound(f"no group {group_id} in group buy {row.id}")
        refusal = join_refusal(group.status, group.members, group.size, group.expires_at, at)
        if refusal is not None:
            raise GroupNotJoinable(f"the group is {refusal.value}", reason=refusal.value)
        if user_id is not None and session.scalar(
                select(GroupMember.order_id).where(GroupMember.group_id == group_id,
                                                   GroupMember.user_id == user_id,
                                                   GroupMember.status.in_(LIVE))) is not None:
            raise GroupNotJoinable("you are in this group already", reason="already_member")
    if user_id is not None:
        live = session.scalar(select(GroupBuyerCount.live).where(
            GroupBuyerCount.campaign_id == row.id, GroupBuyerCount.user_id == user_id)) or 0
        if live >= row.per_user_limit:
            raise GroupLimitReached(f"at most {row.per_user_limit} group(s) of this campaign "
                                    "at a time")
    return CampaignPrice(kind=AdjustmentKind.GROUP_PRICE, source_id=row.id, label=LABEL,
                         unit_amounts={row.sku: row.group_price})


def demo_campaign(at: datetime, campaign_id: str, sku: str, product_id: int,
                  price: int) -> dict[str, Any]:
    """The demo's campaign row values (``marketing.demo``): groups of 3, 24 h to fill."""
    return {"id": campaign_id, "name": "三人团", "sku": sku, "product_id": product_id,
            "currency": "CNY", "group_price": price, "group_size": 3, "fill_seconds": 24 * 3600,
            "per_user_limit": 1, "starts_at": at - timedelta(days=1),
            "ends_at": at + timedelta(days=365), "status": CampaignStatus.ACTIVE.value,
            "created_at": at, "updated_at": at}
