"""The user service's tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_runtime.types import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    nickname: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefreshToken(Base):
    """One refresh token (stored as its SHA-256); a family is one login's chain of rotations."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SessionRevocation(Base):
    """A sign-in (refresh-token family, the ``sid`` of its access tokens) that ended.

    Served on the deny-list until ``tokens_expire_by``, when none of its access tokens
    can still be valid; kept afterwards as a record.
    """

    __tablename__ = "session_revocations"

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    tokens_expire_by: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SigningKeyRow(Base):
    """Token signing keys. The newest signs; all listed in the JWKS verify."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    recipient: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(30))
    city: Mapped[str] = mapped_column(String(30))
    district: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VerificationCode(Base):
    """A one-time code, stored only as a hash of (purpose, target, code)."""

    __tablename__ = "verification_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(254), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notification(Base):
    """A message to send (the notification outbox), written with what caused it."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    # The delivery job's retry state (service_runtime.jobs).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# -- membership: growth, level, points (see user.membership) -------------------------------

class Member(Base):
    """A member's standing. ``points_balance`` is what can be spent now (never negative);
    ``points_locked`` is held by unpaid orders; ``points_debt`` is clawed back beyond the
    balance, settled from the next points credited (a debt means the balance is zero)."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("points_balance >= 0", name="ck_members_balance_not_negative"),
        CheckConstraint("points_locked >= 0", name="ck_members_locked_not_negative"),
        CheckConstraint("points_debt >= 0", name="ck_members_debt_not_negative"),
    )

    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    growth: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[str] = mapped_column(String(20))
    points_balance: Mapped[int] = mapped_column(Integer, default=0)
    points_locked: Mapped[int] = mapped_column(Integer, default=0)
    points_debt: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PointsLedgerEntry(Base):
    """One movement of a member's points: ``delta`` changed the balance, ``locked_delta``
    the points held by orders, ``debt_delta`` the debt; the ``*_after`` are the results."""

    __tablename__ = "points_ledger"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    delta: Mapped[int] = mapped_column(Integer)
    locked_delta: Mapped[int] = mapped_column(Integer, default=0)
    debt_delta: Mapped[int] = mapped_column(Integer, default=0)
    growth_delta: Mapped[int] = mapped_column(Integer, default=0)
    balance_after: Mapped[int] = mapped_column(Integer)
    locked_after: Mapped[int] = mapped_column(Integer)
    debt_after: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PointsLot(Base):
    """Points credited together (earned, granted, given back), spent oldest first: the
    sum of a member's ``remaining`` is the balance. Expiry takes what is left of a lot."""

    __tablename__ = "points_lots"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    amount: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    credited_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class PointsLockedLot(Base):
    """How much of which lot an order's lock took: a cancelled order puts it back there,
    so its points keep the age they had (placing and cancelling orders renews nothing)."""

    __tablename__ = "points_locked_lots"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    lot_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                        primary_key=True)
    points: Mapped[int] = mapped_column(Integer)


class MemberOrder(Base):
    """What membership knows of one order, from the events about it (in any order)."""

    __tablename__ = "member_orders"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    placed: Mapped[bool] = mapped_column(Boolean, default=False)
    payable: Mapped[int] = mapped_column(Integer, default=0)  # fen: the order's total
    points_used: Mapped[int] = mapped_column(Integer, default=0)
    # none | locked | rejected | released | spent
    points_state: Mapped[str] = mapped_column(String(10), default="none")
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    refunded_total: Mapped[int] = mapped_column(Integer, default=0)
    fully_refunded: Mapped[bool] = mapped_column(Boolean, default=False)
    points_returned: Mapped[int] = mapped_column(Integer, default=0)
    earned: Mapped[bool] = mapped_column(Boolean, default=False)
    points_earned: Mapped[int] = mapped_column(Integer, default=0)
    refunded_when_earned: Mapped[int] = mapped_column(Integer, default=0)
    points_clawed_back: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberLevelReachedRow(Base):
    """Levels a member has reached (each announced once, even after falling back)."""

    __tablename__ = "member_levels_reached"

    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[str] = mapped_column(String(20), primary_key=True)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime())
