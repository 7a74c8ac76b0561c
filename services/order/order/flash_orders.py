"""Flash-sale orders: the order worker turns a won attempt (``FlashAttemptWon``) into its
one order, or answers ``FlashOrderRejected``.

One order per attempt: the order's id is derived from the attempt's, so a second copy of
the event (or a replica racing this one, which fails on the key and is retried by its
consumer) finds the order and changes nothing. The buyer's address is read through the
user service's internal endpoint (no buyer token in a worker), the price through the
marketing quote with ``campaign = flash_sale`` (its flash price); the order is payable
for the session's ``payment_timeout_s``. A buyer's mistake (an address not theirs, a SKU
this service cannot sell) rejects the attempt; a service that does not answer raises, so
the consumer retries.

These reads run inside the consumer's transaction (the handler's contract): on SQLite
the order database's write lock is held for them, which a storm's few winners can
afford; losers never come here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote as escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from event_contracts.common import ShippingAddressSchema
from event_contracts.events.order import FlashOrderRejection
from event_contracts.vocabulary import CampaignKind
from order.cart_and_user_client import ADDRESS_FIELDS, AddressBookUnavailable, UnknownAddress
from order.checkout import breakdown
from order.domain import OrderStatus, RequestedLine, payment_deadline, price_lines
from order.events import outbox, publish_order_placed
from order.internal_http import call
from order.models import Order, OrderTimelineEntry, SkuPrice
from order.pricing import PricedCheckout, check_quote
from order.pricing_client import PricingClient, QuoteRefused
from order.settings import OrderSettings
from service_runtime.errors import InvalidInput
from service_runtime.ids import utcnow
from service_runtime.money import Money

ReadAddress = Callable[[str, str], Mapping[str, str | None]]
Quote = Callable[[dict[str, Any]], dict[str, Any]]


def flash_order_id(attempt_id: str) -> str:
    """``fsa_<time><random>`` -> ``ord_<time><random>``: time-ordered like any order id."""
    return "ord_" + attempt_id.split("_", 1)[-1]


@dataclass(frozen=True)
class FlashOrderReads:
    """The worker's reads for flash orders (no buyer token: internal endpoints)."""

    user_service_url: str
    pricing: PricingClient
    timeout_s: float

    @classmethod
    def of(cls, settings: OrderSettings) -> FlashOrderReads:
        return cls(settings.user_service_url, PricingClient.for_caller(settings, None),
                   settings.read_timeout_ms / 1000)

    def address(self, user_id: str, address_id: str) -> dict[str, str | None]:
        """``GET {user}/internal/users/{user_id}/addresses/{address_id}``; not theirs:
        UnknownAddress; no answer: AddressBookUnavailable (the consumer retries)."""
        url = (self.user_service_url.rstrip("/") + "/internal/users/" + escape(user_id, safe="")
               + "/addresses/" + escape(address_id, safe=""))
        response = call("GET", url, None, self.timeout_s, AddressBookUnavailable)
        if response.status_code == 404:
            raise UnknownAddress(f"no address {address_id!r} in {user_id}'s address book")
        if response.status_code != 200:
            raise AddressBookUnavailable(f"the user service answered {response.status_code}")
        found = response.json()
        address = {name: found.get(name) for name in ADDRESS_FIELDS}
        if ShippingAddressSchema().validate(address):
            raise AddressBookUnavailable("the user service sent an incomplete address")
        return address


def attempt_won(session: Session, data: dict[str, Any], *, read_address: ReadAddress,
                quote: Quote) -> str | None:
    """Make the attempt's order (in the consumer's transaction): its id, or None when the
    attempt was rejected."""
    order_id = flash_order_id(data["attempt_id"])
    if session.scalar(select(Order.id).where(Order.id == order_id)) is not None:
        return order_id  # made before: a second copy of the event
    user_id, at = data["user_id"], utcnow()
    try:
        address = dict(read_address(user_id, data["address_id"]))
    except UnknownAddress:
        return _reject(session, data, FlashOrderRejection.UNKNOWN_ADDRESS, at)
    try:
        priced = _priced(session, data, quote)
    except (InvalidInput, QuoteRefused):
        return _reject(session, data, FlashOrderRejection.NOT_ORDERABLE, at)
    order = Order(
        id=order_id, user_id=user_id, status=OrderStatus.PENDING,
        delivery_method=data["delivery_method"], address_id=data["address_id"],
        shipping_address=address, coupon_code=None,
        payment_due_at=payment_deadline(at, data["payment_timeout_s"]),
        cash_on_delivery=False, refunded_amount=0, created_at=at, updated_at=at,
        campaign={"kind": CampaignKind.FLASH_SALE.value, "campaign_id": data["session_id"],
                  "attempt_id": data["attempt_id"]},
        **breakdown(priced),
        timeline=[OrderTimelineEntry(status=OrderStatus.PENDING,
                                     note="flash-sale order placed; reserving stock", at=at)])
    session.add(order)
    session.flush()
    publish_order_placed(session, order)
    return order_id


def _priced(session: Session, data: dict[str, Any], quote: Quote) -> PricedCheckout:
    """The line at this service's list price, then the quote at the session's price."""
    known = {p.sku: p for p in session.scalars(select(SkuPrice).where(
        SkuPrice.sku == data["sku"]))}
    prices = {sku: Money(p.amount, p.currency) for sku, p in known.items()}
    product_ids = {sku: p.product_id for sku, p in known.items()}
    priced = price_lines([RequestedLine(data["sku"], data["quantity"])], prices)
    answer = quote({
        "lines": [{"sku": line.sku, "product_id": product_ids[line.sku],
                   "quantity": line.quantity,
                   "unit_price": {"amount": line.unit_price.amount,
                                  "currency": line.unit_price.currency}} for line in priced],
        "delivery_method": data["delivery_method"],
        "campaign": {"kind": CampaignKind.FLASH_SALE.value, "campaign_id": data["session_id"]},
    })
    check_quote(answer, priced)
    return PricedCheckout(priced, product_ids, answer)


def _reject(session: Session, data: dict[str, Any], reason: FlashOrderRejection,
            at: datetime) -> None:
    outbox.emit(session, "FlashOrderRejected", key=data["attempt_id"], data={
        "attempt_id": data["attempt_id"], "session_id": data["session_id"],
        "user_id": data["user_id"], "reason": reason.value, "rejected_at": at.isoformat()})
    return None
