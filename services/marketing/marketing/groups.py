"""The order saga's group-buy steps: an order takes a place in its group (or is refused),
pays, or leaves; the timer fails groups that did not fill in time.

Every count moves by a conditional UPDATE whose row count decides (``members < size``,
``live < per_user_limit``, ``status = 'open'``), so concurrent joins never overfill a
group on SQLite or PostgreSQL, and a group succeeds or fails exactly once even with two
worker replicas. Handlers run in the consumer's session (with the inbox row) and never
commit; the timer runs one transaction per group.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from event_contracts.events.marketing import GroupSlotRejection
from marketing.group_rules import LIVE, GroupStatus, MemberStatus, group_deadline, running
from marketing.models import BuyGroup, GroupBuyCampaign, GroupBuyerCount, GroupMember, OrderRecord
from service_runtime.db import Database, insert_if_absent
from service_runtime.ids import utcnow
from service_runtime.outbox import Outbox

outbox = Outbox("marketing")
EXPIRY_BATCH = 100


def _updated(session: Session, statement: Any) -> int:
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount


def hold_slot(session: Session, data: Mapping[str, Any]) -> None:
    """``OrderPlaced`` of a group-buy order: a place in its group (the group made now when
    the order starts it) -> ``GroupSlotHeld``; else ``GroupSlotRejected`` with the reason.
    An order cancelled before this arrived takes no place."""
    order_id, user_id = data["order_id"], data["user_id"]
    campaign_id, group_id = data["campaign"]["campaign_id"], data["campaign"]["group_id"]
    if session.get(GroupMember, order_id) is not None:
        return  # its place was decided already
    if session.scalar(select(OrderRecord.status).where(
            OrderRecord.order_id == order_id)) == "cancelled":
        return
    at = utcnow()
    reason = _take_place(session, data, at)
    ids = {"order_id": order_id, "user_id": user_id, "campaign_id": campaign_id,
           "group_id": group_id}
    if reason is not None:
        outbox.emit(session, "GroupSlotRejected", key=order_id,
                    data={**ids, "reason": reason.value, "rejected_at": at.isoformat()})
        return
    session.add(GroupMember(order_id=order_id, group_id=group_id, campaign_id=campaign_id,
                            user_id=user_id, status=MemberStatus.HELD.value, held_at=at))
    expires_at = session.scalar(select(BuyGroup.expires_at).where(BuyGroup.id == group_id))
    outbox.emit(session, "GroupSlotHeld", key=order_id, data={
        **ids, "expires_at": expires_at.isoformat(), "held_at": at.isoformat()})


def _take_place(session: Session, data: Mapping[str, Any],
                at: datetime) -> GroupSlotRejection | None:
    """Count the buyer in and take a place; the reason when either is refused (then
    nothing is counted)."""
    user_id, campaign = data["user_id"], data["campaign"]
    row = session.get(GroupBuyCampaign, campaign["campaign_id"])
    if row is None:
        return GroupSlotRejection.UNKNOWN
    placed_at = data["placed_at"]
    if not running(row.status, row.starts_at, row.ends_at, placed_at) or row.ends_at <= at:
        return GroupSlotRejection.CAMPAIGN_OVER
    group_id = campaign["group_id"]
    if not campaign.get("starts_group"):
        group = session.get(BuyGroup, group_id)
        if group is None or group.campaign_id != row.id:
            return GroupSlotRejection.UNKNOWN
        if session.scalar(select(GroupMember.order_id).where(
                GroupMember.group_id == group_id, GroupMember.user_id == user_id,
                GroupMember.status.in_(LIVE))) is not None:
            return GroupSlotRejection.ALREADY_MEMBER
    if not _count_buyer(session, row, user_id):
        return GroupSlotRejection.LIMIT_REACHED
    if campaign.get("starts_group"):
        made = insert_if_absent(session, BuyGroup, id=group_id, campaign_id=row.id,
                                leader_user_id=user_id, size=row.group_size, members=1, paid=0,
                                status=GroupStatus.OPEN.value, created_at=at,
                                expires_at=group_deadline(at, row.fill_seconds, row.ends_at))
        refusal = None if made else GroupSlotRejection.UNKNOWN  # an id already used
    else:
        taken = _updated(session, update(BuyGroup)
                         .where(BuyGroup.id == group_id, BuyGroup.status == GroupStatus.OPEN.value,
                                BuyGroup.members < BuyGroup.size, BuyGroup.expires_at > at)
                         .values(members=BuyGroup.members + 1))
        refusal = None if taken == 1 else _why_not(session, group_id, at)
    if refusal is not None:
        _uncount_buyer(session, row.id, user_id)
    return refusal


def _why_not(session: Session, group_id: str, at: datetime) -> GroupSlotRejection:
    group = session.get(BuyGroup, group_id, populate_existing=True)
    assert group is not None
    if group.status == GroupStatus.OPEN and group.expires_at > at:
        return GroupSlotRejection.FULL
    return GroupSlotRejection.CLOSED


def _count_buyer(session: Session, campaign: GroupBuyCampaign, user_id: str) -> bool:
    insert_if_absent(session, GroupBuyerCount, campaign_id=campaign.id, user_id=user_id, live=0)
    return _updated(session, update(GroupBuyerCount)
                    .where(GroupBuyerCount.campaign_id == campaign.id,
                           GroupBuyerCount.user_id == user_id,
                           GroupBuyerCount.live < campaign.per_user_limit)
                    .values(live=GroupBuyerCount.live + 1)) == 1


def _uncount_buyer(session: Session, campaign_id: str, user_id: str) -> None:
    _updated(session, update(GroupBuyerCount)
             .where(GroupBuyerCount.campaign_id == campaign_id,
                    GroupBuyerCount.user_id == user_id, GroupBuyerCount.live > 0)
             .values(live=GroupBuyerCount.live - 1))


def member_paid(session: Session, order_id: str, at: datetime) -> None:
    """``PaymentConfirmed`` of a member: paid; the payment that makes every place of an
    open group paid makes it succeed (``GroupBuySucceeded``, once)."""
    member = session.get(GroupMember, order_id)
    if member is None or _updated(session, update(GroupMember)
                                  .where(GroupMember.order_id == order_id,
                                         GroupMember.status == MemberStatus.HELD.value)
                                  .values(status=MemberStatus.PAID.value, paid_at=at)) != 1:
        return  # not a group order, paid already, or it left
    group_id = member.group_id
    _updated(session, update(BuyGroup).where(BuyGroup.id == group_id,
                                             BuyGroup.status == GroupStatus.OPEN.value)
             .values(paid=BuyGroup.paid + 1))
    succeeded = _updated(session, update(BuyGroup)
                         .where(BuyGroup.id == group_id, BuyGroup.status == GroupStatus.OPEN.value,
                                BuyGroup.paid == BuyGroup.size)
                         .values(status=GroupStatus.SUCCEEDED.value, closed_at=at))
    if succeeded != 1:
        return
    campaign_id = session.scalar(select(BuyGroup.campaign_id).where(BuyGroup.id == group_id))
    outbox.emit(session, "GroupBuySucceeded", key=group_id, data={
        "group_id": group_id, "campaign_id": campaign_id,
        "order_ids": _member_orders(session, group_id, (MemberStatus.PAID.value,)),
        "succeeded_at": at.isoformat()})


def member_left(session: Session, order_id: str, at: datetime) -> None:
    """``OrderCancelled`` of a member: it leaves; in an open group its place is free again.
    The buyer's live count goes down either way."""
    member = session.get(GroupMember, order_id)
    if member is None:
        return
    was = member.status
    if _updated(session, update(GroupMember)
                .where(GroupMember.order_id == order_id, GroupMember.status == was,
                       GroupMember.status.in_(LIVE))
                .values(status=MemberStatus.LEFT.value, left_at=at)) != 1:
        return
    _uncount_buyer(session, member.campaign_id, member.user_id)
    paid = 1 if was == MemberStatus.PAID else 0
    _updated(session, update(BuyGroup).where(BuyGroup.id == member.group_id,
                                             BuyGroup.status == GroupStatus.OPEN.value)
             .values(members=BuyGroup.members - 1, paid=BuyGroup.paid - paid))


def _member_orders(session: Session, group_id: str, statuses: tuple[str, ...]) -> list[str]:
    return list(session.scalars(select(GroupMember.order_id)
                                .where(GroupMember.group_id == group_id,
                                       GroupMember.status.in_(statuses))
                                .order_by(GroupMember.held_at, GroupMember.order_id)))


def fail_group(db: Database, group_id: str, at: datetime) -> bool:
    """One open group past its deadline -> failed with ``GroupBuyFailed`` (its member
    orders are cancelled); False if another pass or a last payment decided it first."""
    with db.transaction() as session:
        failed = _updated(session, update(BuyGroup)
                          .where(BuyGroup.id == group_id, BuyGroup.status == GroupStatus.OPEN.value,
                                 BuyGroup.expires_at <= at)
                          .values(status=GroupStatus.FAILED.value, closed_at=at))
        if failed != 1:
            return False
        campaign_id = session.scalar(select(BuyGroup.campaign_id).where(BuyGroup.id == group_id))
        outbox.emit(session, "GroupBuyFailed", key=group_id, data={
            "group_id": group_id, "campaign_id": campaign_id,
            "order_ids": _member_orders(session, group_id, LIVE), "failed_at": at.isoformat()})
        return True


def expire_groups(db: Database, at: datetime) -> bool:
    """The group timer's tick: fail open groups past their deadline; True when more may
    be waiting (a full batch)."""
    with db.read() as session:
        due = list(session.scalars(select(BuyGroup.id)
                                   .where(BuyGroup.status == GroupStatus.OPEN.value,
                                          BuyGroup.expires_at <= at)
                                   .order_by(BuyGroup.expires_at).limit(EXPIRY_BATCH)))
    for group_id in due:
        fail_group(db, group_id, at)
    return len(due) == EXPIRY_BATCH
