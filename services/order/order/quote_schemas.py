"""``POST /checkout/preview``: its body here (the order's own public input); its answer is
the marketing quote as the contract describes it (``event_contracts.pricing.QuoteSchema``,
MARKETING.md "The quote"): the exact breakdown ``POST /orders`` would charge for the same
input. The order's checks of the quote (sums, currency) are ``order.pricing.check_quote``."""

from marshmallow import Schema, fields, validate

from event_contracts.events.order import DELIVERY_METHODS
from event_contracts.pricing import QuoteSchema as ContractQuoteSchema
from order.domain import MAX_LINES
from order.schemas import RequestedLineSchema
from service_runtime.relay import relayed_schema

__all__ = ["CheckoutPreviewSchema", "QuoteSchema"]

# The preview relays marketing's answer as it came (checked by order.pricing.check_quote).
QuoteSchema = relayed_schema(ContractQuoteSchema)


class CheckoutPreviewSchema(Schema):
    lines = fields.List(fields.Nested(RequestedLineSchema), load_default=None,
                        validate=validate.Length(min=1, max=MAX_LINES),
                        metadata={"description": "Omitted: the caller's cart"})
    address_id = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=64),
                               metadata={"description": "Accepted; prices do not depend on it"})
    delivery_method = fields.String(load_default=None, allow_none=True,
                                    validate=validate.OneOf(DELIVERY_METHODS),
                                    metadata={"description": "Omitted: standard"})
    coupon_id = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=64),
                              metadata={"description": "A user coupon of the caller; omitted "
                                                       "(and no coupon_code): the best usable "
                                                       "one is applied unless suggest_coupon "
                                                       "is false"})
    coupon_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=64),
                                metadata={"description": "A redeem code the caller holds"})
    points = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0),
                            metadata={"description": "Points to spend (1 point = 1 fen)"})
    suggest_coupon = fields.Boolean(load_default=True, metadata={
        "description": "Without coupon_id or coupon_code: true applies the best usable "
                       "coupon; false prices without any coupon (\"不使用优惠券\")"})
