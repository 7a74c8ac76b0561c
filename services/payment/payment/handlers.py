"""What the payment service does when an event arrives (the consumer's session)."""

from sqlalchemy.orm import Session

from event_contracts.vocabulary import ReturnKind
from payment import payables, payments, refunds
from service_runtime.handlers import Event, Handlers

handlers = Handlers()


@handlers.on("OrderPlaced")
def order_placed(session: Session, event: Event) -> None:
    data = event.data
    total = data["total"]
    payables.record_payable(session, data["order_id"], data["user_id"],
                            total["amount"], total["currency"],
                            needs_coupon=bool(data.get("user_coupon_id")),
                            needs_points=(data.get("points_used") or 0) > 0,
                            campaign=data.get("campaign"))


@handlers.on("StockReserved")
def stock_reserved(session: Session, event: Event) -> None:
    payables.stock_reserved(session, event.data["order_id"])


@handlers.on("CouponLocked")
def coupon_locked(session: Session, event: Event) -> None:
    payables.coupon_locked(session, event.data["order_id"])


@handlers.on("PointsLocked")
def points_locked(session: Session, event: Event) -> None:
    payables.points_locked(session, event.data["order_id"])


@handlers.on("GroupSlotHeld")
def group_slot_held(session: Session, event: Event) -> None:
    payables.group_slot_held(session, event.data["order_id"])


@handlers.on("OrderCancelled")
def order_cancelled(session: Session, event: Event) -> None:
    payables.order_cancelled(session, event.data["order_id"], event.data["reason"])


@handlers.on("Delivered")
def delivered(session: Session, event: Event) -> None:
    payments.cash_collected(session, event.data["order_id"])


@handlers.on("ReturnApproved")
def return_approved(session: Session, event: Event) -> None:
    if event.data["type"] == ReturnKind.REFUND_ONLY:
        refund = event.data["refund"]
        refunds.refund_return(session, event.data["order_id"], event.data["return_id"],
                              refund["amount"], refund["currency"],
                              "return approved (refund only)")


@handlers.on("ReturnReceived")
def return_received(session: Session, event: Event) -> None:
    if event.data["type"] == ReturnKind.RETURN_REFUND:
        refund = event.data["refund"]
        refunds.refund_return(session, event.data["order_id"], event.data["return_id"],
                              refund["amount"], refund["currency"], "returned goods received")
