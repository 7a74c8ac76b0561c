"""The payment service's tables (the ledger's are in ``ledger_models``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from payment.domain import PaymentKind, PaymentStatus, RefundStatus, is_duplicate_trigger
from service_runtime.money import Money
from service_runtime.types import UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class Payable(Base):
    """What an order owes, recorded from ``OrderPlaced``.

    ``status``: a :class:`~payment.domain.PayableStatus`. ``paid`` and ``refunded`` are
    the fen received for it and given back; refunds are capped with a conditional
    ``refunded + x <= paid`` update.
    """

    __tablename__ = "payables"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refunded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    payment_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    # What else must be held before the order is payable (from OrderPlaced): its coupon
    # (``user_coupon_id``) and its points (``points_used > 0``).
    needs_coupon: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    needs_points: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A group-buy order (OrderPlaced's campaign): payable only once its place in the group
    # is held (GroupSlotHeld); its group goes on PaymentConfirmed (logistics holds the
    # parcel until the group succeeds). ``campaign_kind``: any campaign order is prepaid.
    needs_group_slot: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())
    group_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    campaign_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)


class OrderProgress(Base):
    """What is heard of an order (topics are not ordered with one another): whether its
    stock was reserved, its coupon and its points locked, whether it was cancelled. A
    payable made later starts from it; one waiting becomes due when all it needs is here."""

    __tablename__ = "order_signals"  # the table keeps the name it was created with

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    stock_reserved: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    coupon_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    points_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    group_slot_held: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())


@dataclass(frozen=True)
class NextAction:
    type: str
    url: str


class Payment(Base):
    """One attempt to pay an order (``kind`` order) or to top up the wallet (``top_up``).

    ``method`` is a :class:`~event_contracts.vocabulary.PaymentMethod`, ``kind`` a
    :class:`~payment.domain.PaymentKind`, ``status`` a :class:`~payment.domain.PaymentStatus`.
    """

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # sha256 of the request that created the row (service_runtime.idempotency).
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(10), default=PaymentKind.ORDER.value,
                                      server_default=PaymentKind.ORDER.value)
    credit: Mapped[int | None] = mapped_column(Integer, nullable=True)  # top-ups
    package_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    trade_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True,
                                                          index=True)
    # Where the buyer pays a pending provider payment, as the provider gave it when the
    # trade was created (the sandbox: its cashier with a signed, expiring token).
    next_action_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # Where the provider's cashier sends the buyer back (payment.return_links).
    return_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # Read-only: refunds are written on their own, never through the payment. Loaded
    # with every payment so a payment read in one session can be shown after it closed.
    refunds: Mapped[list[Refund]] = relationship(
        primaryjoin="Payment.id == foreign(Refund.payment_id)", viewonly=True,
        lazy="selectin", order_by="Refund.id")  # ids are time-ordered

    @property
    def amount_refunded(self) -> int:
        """The fen that went back (refunds still pending at the provider are not counted)."""
        return sum(refund.amount for refund in self.refunds
                   if refund.status == RefundStatus.SUCCEEDED)

    @property
    def next_action(self) -> NextAction | None:
        """Where the buyer goes to pay a pending provider payment (the provider's cashier)."""
        if self.status != PaymentStatus.PENDING or self.next_action_url is None:
            return None
        return NextAction(type="redirect", url=self.next_action_url)

    @property
    def charged(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def refunded(self) -> Money:
        return Money(self.amount_refunded, self.currency)

    @property
    def credited(self) -> Money | None:
        """What a top-up credits to the wallet (a package's bonus included)."""
        return None if self.credit is None else Money(self.credit, self.currency)


@event.listens_for(Payment, "init")
def _new_payments_have_no_refunds(target: Payment, args: Any, kwargs: Any) -> None:
    # Without this a payment made in a session that then closed would try to load its
    # (necessarily empty) refunds from a session it no longer has.
    target.refunds = []


class Refund(Base):
    """Money going back for an order. ``trigger`` (cancel, return:<id>, duplicate:<payment>)
    is unique per order, so a trigger delivered twice refunds once."""

    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("order_id", "trigger", name="uq_refunds_order_trigger"),
        CheckConstraint("amount > 0", name="ck_refunds_amount_positive"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(40), index=True)
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(20))
    destination: Mapped[str] = mapped_column(String(20))  # a RefundDestination
    reason: Mapped[str] = mapped_column(String(500))
    trigger: Mapped[str] = mapped_column(String(80))
    return_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # a RefundStatus
    provider_refund_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The submission job's retry state (service_runtime.jobs): a pending provider refund
    # is tried with backoff and parked after its last attempt, for an operator to retry
    # (``python -m payment retry-parked-refunds``).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True,
                                                          index=True)

    @property
    def duplicate_payment(self) -> bool:
        """Whether this gives back a whole payment that found its order cancelled or
        already paid (the order itself was never charged by it)."""
        return is_duplicate_trigger(self.trigger)

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class SandboxKey(Base):
    """The sandbox provider's own keys (it stands in for Alipay, WeChat Pay, the card
    acquirer); the merchant side reads only the public half / shared secret."""

    __tablename__ = "sandbox_keys"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    private_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    public_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    serial: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SandboxNotification(Base):
    """A trade result the sandbox must tell the merchant about, retried until acknowledged."""

    __tablename__ = "sandbox_notifications"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    payment_id: Mapped[str] = mapped_column(String(40), index=True)
    trade_no: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))  # a TradeOutcome
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str | None] = mapped_column(Text, nullable=True)  # last one sent
    headers: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The delivery job's lease and give-up (service_runtime.jobs).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
