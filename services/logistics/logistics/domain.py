"""Shipment rules in plain Python: statuses and their order, ETAs, pickup codes, carriers.

A shipment is ``ready`` once its order is paid (or cash on delivery was chosen), then
``shipped`` by the merchant, then moves forward with the carrier's tracking events
(``in_transit``, ``out_for_delivery``) to ``delivered``. Only a ``ready`` shipment can
be ``cancelled``; nothing moves backwards.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from event_contracts.vocabulary import DeliveryMethod
from service_runtime.errors import Conflict, InvalidInput, NotFound, Problem
from service_runtime.projections import StatusOrder

# -- statuses -------------------------------------------------------------------------


class ShipmentStatus(StrEnum):
    # A group-buy order's parcel, paid, waiting for its group to succeed: never shipped
    # until GroupBuySucceeded makes it ready.
    HELD = "held"
    READY = "ready"
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# A shipment on its way: it has a carrier and a tracking number; carrier events apply.
UNDER_WAY = (ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY)
# Carrier events may arrive out of order: a shipment moves only forward along them, so a
# late ``in_transit`` after ``out_for_delivery`` is recorded on the timeline only.
TRACKING = StatusOrder(*UNDER_WAY, ShipmentStatus.DELIVERED)
# What a carrier may report, in the order a parcel goes through them.
TRACKING_STATUSES = TRACKING.statuses[1:]
# A timeline entry (not a status): the order was cancelled and refunded after the parcel
# left, so the merchant should have the carrier intercept it.
INTERCEPT_REQUESTED = "intercept_requested"

# -- delivery methods and ETAs --------------------------------------------------------


DEFAULT_TRANSIT_DAYS: Mapping[str, int] = {
    DeliveryMethod.STANDARD: 3, DeliveryMethod.EXPRESS: 1, DeliveryMethod.PICKUP: 2}
# Delivery dates are days in China (UTC+8 all year, no daylight saving): a parcel shipped
# at 01:00 UTC on the 23rd ships on the 23rd there too.
SHOP_TIMEZONE = timezone(timedelta(hours=8), "CST")

# -- carriers -------------------------------------------------------------------------


class Carrier(StrEnum):
    SF = "sf"
    ZTO = "zto"
    YTO = "yto"
    JD = "jd"
    EMS = "ems"
    STORE = "store"  # not a carrier: the merchant moves a pickup order to the pickup point


CALLBACK_CARRIERS = tuple(carrier for carrier in Carrier if carrier != Carrier.STORE)
TRACKING_NUMBER_PATTERN = r"^[A-Za-z0-9-]{4,40}$"
_TRACKING_NUMBER = re.compile(TRACKING_NUMBER_PATTERN)

PICKUP_CODE_DIGITS = 6
PICKUP_CODE_PATTERN = r"^[0-9]{6}$"

# The shipment of the order itself; a replacement's origin is "return:<return id>".
ORDER_ORIGIN = "order"


class ShipmentNotFound(NotFound):
    slug, title = "shipment-not-found", "No such shipment"


class OrderNotFound(NotFound):
    slug, title = "order-not-found", "No such order"


class NotReady(Conflict):
    slug, title = "shipment-not-ready", "Only a ready shipment can be shipped"


class OrderDetailsMissing(Conflict):
    slug, title = "order-details-missing", "The order's delivery details have not arrived yet"


class TrackingNumberInUse(Conflict):
    slug, title = "tracking-number-in-use", "That carrier's tracking number is already used"


class CarrierNotAllowed(InvalidInput):
    slug, title = "carrier-not-allowed", "This carrier cannot carry this shipment"


class NotAtPickupPoint(Conflict):
    slug, title = "not-at-pickup-point", "The shipment is not waiting at the pickup point"


class NotAPickup(Conflict):
    slug, title = "not-a-pickup-shipment", "The shipment is not collected at a pickup point"


class WrongPickupCode(InvalidInput):
    slug, title = "wrong-pickup-code", "The pickup code does not match"


class NotShipped(Conflict):
    slug, title = "shipment-not-shipped", "The shipment has not been shipped"


class UnknownCarrier(NotFound):
    slug, title = "unknown-carrier", "No such carrier"


class UnknownTrackingNumber(NotFound):
    slug, title = "unknown-tracking-number", "No shipment has that tracking number"


class CallbackRefused(Problem):
    status, slug, title = 401, "callback-refused", "The callback is not signed by the carrier"


def estimated_delivery(method: str, start: datetime,
                       transit_days: Mapping[str, int] = DEFAULT_TRANSIT_DAYS) -> date:
    """The day a shipment of ``method`` that starts at ``start`` should arrive.

    Counted in calendar days from the start's day in China; carriers work weekends.
    """
    if start.tzinfo is None:
        raise ValueError("naive datetimes are not used; pass UTC")
    return start.astimezone(SHOP_TIMEZONE).date() + timedelta(days=transit_days[method])


def new_pickup_code() -> str:
    """Six digits from the OS's CSPRNG: the buyer shows it to collect the parcel."""
    return f"{secrets.randbelow(10 ** PICKUP_CODE_DIGITS):0{PICKUP_CODE_DIGITS}d}"


def pickup_code_matches(expected: str | None, given: str) -> bool:
    """Constant-time comparison, so response timing does not leak the code digit by digit."""
    return expected is not None and secrets.compare_digest(expected.encode(), given.encode())


def check_carrier(carrier: str, method: str | None) -> None:
    """Pickup orders go to the pickup point (``store``); every other order to a carrier."""
    if method is None:
        raise OrderDetailsMissing("the order's delivery method is not known yet; try later")
    if (method == DeliveryMethod.PICKUP) != (carrier == Carrier.STORE):
        wanted = "store" if method == DeliveryMethod.PICKUP else "a carrier (not store)"
        raise CarrierNotAllowed(f"a {method} shipment goes by {wanted}", carrier=carrier,
                                delivery_method=method)


def valid_tracking_number(number: str) -> bool:
    return bool(_TRACKING_NUMBER.match(number))


def can_ship(status: str) -> bool:
    return status == ShipmentStatus.READY


def accepts_tracking(status: str) -> bool:
    """Carrier events apply to a shipment that is on its way or already delivered."""
    return status in TRACKING.statuses


def valid_id(value: str, max_length: int = 100) -> bool:
    """An id from a URL or a query: short and printable (PostgreSQL refuses NUL bytes)."""
    return 0 < len(value) <= max_length and value.isprintable()


def origin_of_return(return_id: str) -> str:
    return f"return:{return_id}"
