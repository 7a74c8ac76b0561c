"""Starting or joining a group buy (拼团): one order of the campaign's SKU at the group
price, placed like any order (``checkout.place_order``: priced by the quote, stored
``pending`` with its ``OrderPlaced`` in one transaction, ``Idempotency-Key`` honoured).

The order carries ``campaign = {kind: group_buy, campaign_id, group_id, starts_group}``;
marketing holds its place in the group on ``OrderPlaced`` (``GroupSlotHeld``, after which
the payment service accepts payment) or refuses it (``GroupSlotRejected``: the order is
cancelled). A start names its new group here (``time_ordered_id("grp")``); marketing
creates it with that id. The group in the answer is as seen when the order was placed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from event_contracts.vocabulary import CampaignKind
from order.campaign_client import CampaignClient
from order.checkout import place_order
from order.domain import RequestedLine
from order.models import Order
from order.pricing import Quote
from service_runtime.db import Database
from service_runtime.errors import NotFound
from service_runtime.idempotency import IdempotencyKey
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now


@dataclass(frozen=True)
class GroupOrderInput:
    quantity: int
    address_id: str
    delivery_method: str


@dataclass(frozen=True)
class Placing:
    """What placing needs besides the input: the caller's reads and settings."""

    read_address: Callable[[str], Mapping[str, str | None]]
    quote: Callable[[Quote], Quote]
    campaigns: CampaignClient
    payment_timeout_s: int


def _iso(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _new_group(group_id: str, campaign: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """A group this order starts: its leader's place taken, the deadline marketing sets."""
    deadline = min(at + timedelta(seconds=int(campaign["fill_seconds"])),
                   _iso(campaign["ends_at"]))
    return {"id": group_id, "campaign_id": campaign["id"], "status": "open",
            "needed": int(campaign["group_size"]) - 1, "expires_at": deadline, "server_time": at}


def _as_seen(group: Mapping[str, Any], at: datetime, joining: bool) -> dict[str, Any]:
    needed = int(group["needed"]) - (1 if joining else 0)
    return {"id": group["id"], "campaign_id": group["campaign_id"], "status": group["status"],
            "needed": max(0, needed), "expires_at": _iso(group["expires_at"]),
            "server_time": at}


def _place(db: Database, user_id: str, sku: str, campaign: dict[str, Any],
           order_input: GroupOrderInput, key: IdempotencyKey | None,
           placing: Placing) -> tuple[Order, bool]:
    return place_order(db, user_id, [RequestedLine(sku, order_input.quantity)],
                       order_input.delivery_method, order_input.address_id, key,
                       placing.read_address, payment_timeout_s=placing.payment_timeout_s,
                       quote=placing.quote, campaign=campaign)


def _replayed(order: Order, placing: Placing, at: datetime) -> dict[str, Any]:
    """The group of an order placed before (an Idempotency-Key replay), as it is now."""
    campaign = order.campaign or {}
    try:
        return _as_seen(placing.campaigns.group(campaign["group_id"]), at, joining=False)
    except NotFound:  # marketing has not made it yet
        return _new_group(campaign["group_id"],
                          placing.campaigns.campaign(campaign["campaign_id"]), at)


def start_group(db: Database, user_id: str, campaign_id: str, order_input: GroupOrderInput,
                key: IdempotencyKey | None, placing: Placing
                ) -> tuple[Order, bool, dict[str, Any]]:
    """``POST /group-buys/{id}/groups``: (order, created, group)."""
    campaign = placing.campaigns.campaign(campaign_id)
    group_id = time_ordered_id("grp")
    order, created = _place(db, user_id, campaign["sku"], {
        "kind": CampaignKind.GROUP_BUY.value, "campaign_id": campaign_id, "group_id": group_id,
        "starts_group": True}, order_input, key, placing)
    at = now()
    if not created:
        return order, False, _replayed(order, placing, at)
    return order, True, _new_group(group_id, campaign, at)


def join_group(db: Database, user_id: str, group_id: str, order_input: GroupOrderInput,
               key: IdempotencyKey | None, placing: Placing
               ) -> tuple[Order, bool, dict[str, Any]]:
    """``POST /group-buys/groups/{gid}/join``: (order, created, group). A group full,
    closed or already joined is marketing's 409, relayed from the quote."""
    group = placing.campaigns.group(group_id)
    order, created = _place(db, user_id, group["sku"], {
        "kind": CampaignKind.GROUP_BUY.value, "campaign_id": group["campaign_id"],
        "group_id": group_id, "starts_group": False}, order_input, key, placing)
    at = now()
    if not created:
        return order, False, _replayed(order, placing, at)
    return order, True, _as_seen(group, at, joining=True)
