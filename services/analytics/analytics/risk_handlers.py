"""The events the risk rules count, each turned into the signals of its rules.

``with_risk`` adds them to the service's other handlers (an event type both handle runs
both, in one transaction), with the thresholds of the process's settings.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from analytics.risk_flags import observe
from analytics.risk_rules import RiskRules
from event_contracts.vocabulary import RiskRule
from service_runtime.handlers import Event, Handler, Handlers, InvalidMessage

Observer = Callable[[Session, Event, RiskRules], None]


def payment_failed(session: Session, event: Event, rules: RiskRules) -> None:
    user_id = event.data["user_id"]
    observe(session, rules, RiskRule.PAYMENT_FAILURES, user_id, event.id,
            event.data["failed_at"], user_id=user_id)


def sign_in_failed(session: Session, event: Event, rules: RiskRules) -> None:
    data = event.data
    # An existing account by its id (its e-mail and phone are one account), else the
    # digest of the login tried.
    observe(session, rules, RiskRule.ACCOUNT_SIGN_IN_FAILURES,
            data["user_id"] or data["account"], event.id, data["failed_at"],
            user_id=data["user_id"])
    if data["client_address"]:
        observe(session, rules, RiskRule.ADDRESS_SIGN_IN_ACCOUNTS, data["client_address"],
                event.id, data["failed_at"], value=data["account"])


def order_placed(session: Session, event: Event, rules: RiskRules) -> None:
    # Also the orders the refund rule divides by.
    user_id = event.data["user_id"]
    observe(session, rules, RiskRule.ORDER_BURST, user_id, event.id,
            event.data["placed_at"], user_id=user_id, value=event.data["order_id"])


def refund_issued(session: Session, event: Event, rules: RiskRules) -> None:
    data = event.data
    if data.get("duplicate_payment"):
        return  # a second charge given back: the buyer asked for nothing
    observe(session, rules, RiskRule.REFUND_ABUSE, data["user_id"], event.id,
            data["issued_at"], user_id=data["user_id"], value=data["order_id"])


OBSERVERS: dict[str, Observer] = {
    "PaymentFailed": payment_failed,
    "SignInFailed": sign_in_failed,
    "OrderPlaced": order_placed,
    "RefundIssued": refund_issued,
}


def with_risk(base: Handlers, rules: RiskRules) -> Handlers:
    """``base``'s handlers (v1 events) and the risk rules' in a new registry."""
    combined = Handlers()
    for event_type in base.event_types:
        try:
            combined.on(event_type)(base.resolve(event_type, 1))
        except InvalidMessage:  # pragma: no cover - a handler of other versions only
            raise RuntimeError(f"{event_type}: only v1 handlers can be combined") from None
    for event_type, observer in OBSERVERS.items():
        combined.on(event_type)(_also(_existing(combined, event_type), observer, rules))
    return combined


def _existing(handlers: Handlers, event_type: str) -> Handler | None:
    return handlers.resolve(event_type, 1) if event_type in handlers.event_types else None


def _also(first: Handler | None, observer: Observer, rules: RiskRules) -> Handler:
    def handle(session: Session, event: Event) -> None:
        if first is not None:
            first(session, event)
        observer(session, event, rules)

    return handle
