"""Member permissions granted by the middle platform (中台), sent back on
``integration.member-permissions.inbound`` and applied here idempotently.

Each record holds a member's whole set of platform permissions as of its per-member
``sequence``: a record at or below the sequence kept is older news or a duplicate and
changes nothing (one conditional UPDATE decides, so concurrent deliveries agree). A
record naming no member of ours is refused (``InvalidMessage``): it goes to the inbound
consumer's dead letters (``user.integration.dead-letters``), where an operator sees it,
rather than being kept for a member that may never exist.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import JSON, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from event_contracts.integration import MemberPermissionsSchema, Topic
from service_runtime.db import Database, insert_if_absent
from service_runtime.handlers import InvalidMessage
from service_runtime.ids import utcnow
from service_runtime.inbound import Inbound
from service_runtime.types import UTCDateTime
from user.models import Base, User

log = logging.getLogger(__name__)


class MemberPermissions(Base):
    __tablename__ = "member_permissions"

    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    permissions: Mapped[list[str]] = mapped_column(JSON)
    sequence: Mapped[int] = mapped_column(Integer)  # 0: the row was made, nothing applied
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def parse(value: bytes) -> dict[str, Any]:
    try:
        return MemberPermissionsSchema().load(json.loads(value))
    except (ValueError, ValidationError) as exc:
        raise InvalidMessage(f"not a member-permissions record: {exc}") from exc


def apply(session: Session, record: dict[str, Any]) -> bool:
    """Keep the record's permissions unless a record of its sequence or later was kept;
    True if it was kept."""
    user_id, sequence = record["member_id"], record["sequence"]
    if session.get(User, user_id) is None:
        raise InvalidMessage(f"no member {user_id!r}")
    now = utcnow()
    insert_if_absent(session, MemberPermissions, user_id=user_id, permissions=[], sequence=0,
                     changed_at=None, updated_at=now)
    kept = session.execute(
        update(MemberPermissions)
        .where(MemberPermissions.user_id == user_id, MemberPermissions.sequence < sequence)
        .values(permissions=sorted(set(record["permissions"])), sequence=sequence,
                changed_at=record["changed_at"], updated_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not kept:
        log.info("member permissions ignored: not newer than what is kept",
                 extra={"user_id": user_id, "sequence": sequence})
    return kept


def permissions_of(db: Database, user_id: str) -> MemberPermissions | None:
    with db.read() as session:
        row = session.scalar(select(MemberPermissions).where(
            MemberPermissions.user_id == user_id, MemberPermissions.sequence > 0))
        if row is not None:
            session.expunge(row)
        return row


INBOUND = Inbound(
    name="integration",
    topic=Topic.MEMBER_PERMISSIONS_INBOUND.value,
    parse=parse,
    identity=lambda record: f"{record['member_id']}:{record['sequence']}",
    apply=apply,
)
