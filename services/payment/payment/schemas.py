"""Request and response bodies of the payment API."""

from enum import StrEnum

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from event_contracts.vocabulary import PaymentMethod, RefundDestination
from payment import ledger
from payment.domain import (
    PaymentKind,
    PaymentStatus,
    Provider,
    RefundStatus,
    TradeOutcome,
)
from payment.finance_file import FileFormat
from service_runtime.money import MoneySchema

ID = validate.Length(min=1, max=40)


def _values(vocabulary: type[StrEnum]) -> list[str]:
    return [member.value for member in vocabulary]


class PayOrderSchema(Schema):
    order_id = fields.String(required=True, validate=ID)
    method = fields.String(required=True, validate=validate.OneOf(_values(PaymentMethod)))
    return_url = fields.String(load_default=None, validate=validate.Length(min=1, max=1000),
                               metadata={"description": "where the provider's cashier sends "
                                         "the buyer back: a path of the shop "
                                         "(/orders/<id>/result) or a URL on its origin"})


class PaymentQuerySchema(Schema):
    order_id = fields.String(load_default=None, validate=ID)


class NextActionSchema(Schema):
    type = fields.String(metadata={"example": "redirect"})
    url = fields.String()


class RefundSchema(Schema):
    id = fields.String()
    amount = fields.Nested(MoneySchema, attribute="money")
    reason = fields.String()
    status = fields.String(metadata={
        "enum": _values(RefundStatus),
        "description": "pending: the provider has not given the money back yet"})
    destination = fields.String(metadata={
        "enum": _values(RefundDestination),
        "description": "original: the way it was paid; balance: the wallet (cash on delivery)"})
    return_id = fields.String(allow_none=True, metadata={
        "description": "the after-sales request it refunds, if any"})
    duplicate_payment = fields.Boolean(metadata={
        "description": "the whole payment given back because its order was cancelled or "
                       "already paid by another attempt"})
    created_at = fields.AwareDateTime()
    settled_at = fields.AwareDateTime(attribute="succeeded_at", allow_none=True, metadata={
        "description": "when the money went back; null while pending"})


class PaymentSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"enum": _values(PaymentKind)})
    order_id = fields.String(allow_none=True)
    method = fields.String(metadata={"enum": _values(PaymentMethod)})
    status = fields.String(metadata={"enum": _values(PaymentStatus)})
    amount = fields.Nested(MoneySchema, attribute="charged")
    credit = fields.Nested(MoneySchema, attribute="credited", allow_none=True,
                           metadata={"description": "top-ups: wallet credit"})
    failure_reason = fields.String(allow_none=True)
    next_action = fields.Nested(NextActionSchema, allow_none=True)
    created_at = fields.AwareDateTime()
    succeeded_at = fields.AwareDateTime(allow_none=True)
    amount_refunded = fields.Nested(MoneySchema, attribute="refunded", metadata={
        "description": "what went back of this payment: the refunds that succeeded"})
    refunds = fields.List(fields.Nested(RefundSchema), metadata={
        "description": "every refund of this payment, oldest first, pending ones included"})


class TopUpSchema(Schema):
    class Meta:
        json_schema = {"oneOf": [{"required": ["package_id"]}, {"required": ["amount"]}]}

    # Not nullable, so that "sent" means "given", as the oneOf above says.
    package_id = fields.String(load_default=None, allow_none=False,
                               validate=validate.OneOf(list(ledger.TOP_UP_PACKAGES)))
    amount = fields.Integer(load_default=None, allow_none=False, strict=True,
                            validate=validate.Range(min=100, max=5_000_000))
    method = fields.String(required=True, validate=validate.OneOf(_values(Provider)))
    return_url = fields.String(load_default=None, validate=validate.Length(min=1, max=1000),
                               metadata={"description": "where the provider's cashier sends "
                                         "the buyer back: a path of the shop "
                                         "(/orders/<id>/result) or a URL on its origin"})

    @validates_schema
    def one_of_package_or_amount(self, data, **_):  # type: ignore[no-untyped-def]
        if (data.get("package_id") is None) == (data.get("amount") is None):
            raise ValidationError("give either package_id or amount", "package_id")


class CashierQuerySchema(Schema):
    token = fields.String(load_default=None, validate=validate.Length(max=200), metadata={
        "description": "the signed token of the payment's next_action.url"})


class SandboxFormSchema(Schema):
    payment_id = fields.String(required=True, validate=ID)
    outcome = fields.String(required=True, validate=validate.OneOf(_values(TradeOutcome)))


class NotificationQuerySchema(Schema):
    payment_id = fields.String(load_default=None, validate=ID)


class SandboxNotificationSchema(Schema):
    id = fields.String()
    provider = fields.String()
    payment_id = fields.String()
    outcome = fields.String()
    url = fields.String()
    body = fields.String(allow_none=True)
    headers = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    attempts = fields.Integer()
    acknowledged = fields.Boolean()
    last_status = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class ReconciliationQuerySchema(Schema):
    date = fields.Date(required=True)


class FinanceFileQuerySchema(Schema):
    format = fields.String(load_default=FileFormat.CSV.value,
                           validate=validate.OneOf([f.value for f in FileFormat]),
                           metadata={"description": "csv (RFC 4180, UTF-8) or parquet"})


class DayPathSchema(Schema):
    day = fields.Date(required=True, metadata={"description": "the day (UTC), YYYY-MM-DD"})


class MethodTotalsSchema(Schema):
    payments = fields.Integer()
    payments_amount = fields.Integer()
    refunds = fields.Integer()
    refunds_amount = fields.Integer()


class CountAmountSchema(Schema):
    count = fields.Integer()
    amount = fields.Integer()


class MismatchSchema(Schema):
    kind = fields.String(metadata={
        "description": "amount-differs | paid-twice | over-refunded | payable-not-paid"})
    order_id = fields.String()
    payment_id = fields.String()
    detail = fields.String()


class ReconciliationSchema(Schema):
    date = fields.Date()
    currency = fields.String()
    by_method = fields.Dict(keys=fields.String(), values=fields.Nested(MethodTotalsSchema))
    orders_paid = fields.Nested(CountAmountSchema)
    payments_received = fields.Nested(CountAmountSchema)
    mismatches = fields.List(fields.Nested(MismatchSchema))
