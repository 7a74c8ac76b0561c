"""Group-buy (拼团) rules in plain Python: vocabularies, a group's deadline, what a buyer
may see of other members, why an order gets no place."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from event_contracts.events.marketing import GroupSlotRejection
from service_runtime.errors import Conflict, InvalidInput, NotFound

MIN_SIZE, MAX_SIZE = 2, 10
MAX_FILL_SECONDS = 7 * 24 * 3600


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"  # ended early by an admin


class GroupStatus(StrEnum):
    OPEN = "open"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class MemberStatus(StrEnum):
    HELD = "held"  # has a place, not paid yet
    PAID = "paid"
    LEFT = "left"  # its order was cancelled


LIVE = (MemberStatus.HELD.value, MemberStatus.PAID.value)


class CampaignNotFound(NotFound):
    slug, title = "group-buy-not-found", "No such group-buy campaign"


class GroupNotFound(NotFound):
    slug, title = "group-not-found", "No such group"


class InvalidCampaign(InvalidInput):
    slug, title = "invalid-group-buy", "The group-buy campaign is not valid"


class CampaignNotRunning(Conflict):
    slug, title = "group-buy-not-running", "The group-buy campaign is not running"


class GroupNotJoinable(Conflict):
    slug, title = "group-not-joinable", "The group cannot be joined"


class GroupLimitReached(Conflict):
    slug, title = "group-buy-limit-reached", "You have reached this campaign's limit"


def group_deadline(now: datetime, fill_seconds: int, campaign_ends_at: datetime) -> datetime:
    """When a group started ``now`` fails unless full and paid: its fill time, never
    after the campaign's end."""
    return min(now + timedelta(seconds=fill_seconds), campaign_ends_at)


def running(status: str, starts_at: datetime, ends_at: datetime, at: datetime) -> bool:
    return status == CampaignStatus.ACTIVE and starts_at <= at < ends_at


def mask_user(user_id: str) -> str:
    """Enough of another buyer's id to tell members apart, not to find them."""
    if len(user_id) <= 4:
        return user_id[:1] + "***"
    return user_id[:3] + "***" + user_id[-2:]


def join_refusal(status: str, members: int, size: int, expires_at: datetime,
                 at: datetime) -> GroupSlotRejection | None:
    """Why an order cannot take a place in a group as it stands, or None."""
    if status != GroupStatus.OPEN or expires_at <= at:
        return GroupSlotRejection.CLOSED
    if members >= size:
        return GroupSlotRejection.FULL
    return None


def check_campaign(values: dict) -> None:
    """The rules the schema cannot say (an InvalidCampaign otherwise)."""
    if values["ends_at"] <= values["starts_at"]:
        raise InvalidCampaign("ends_at must be after starts_at")
    if not 1 <= values["fill_seconds"] <= MAX_FILL_SECONDS:
        raise InvalidCampaign(f"the fill time must be 1 s to {MAX_FILL_SECONDS} s")
