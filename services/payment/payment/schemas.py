"""Request and response bodies of the payment API."""

from marshmallow import Schema, fields, validate

from event_contracts.events.payment import PAYMENT_METHODS


class MoneySchema(Schema):
    amount = fields.Integer()
    currency = fields.String()


class PayOrderSchema(Schema):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))


class PaymentSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    method = fields.String()
    status = fields.String()
    amount = fields.Method("amount_of")
    created_at = fields.AwareDateTime()

    def amount_of(self, payment):  # type: ignore[no-untyped-def]
        return {"amount": payment.amount, "currency": payment.currency}


class LedgerEntrySchema(Schema):
    amount = fields.Integer()
    currency = fields.String()
    kind = fields.String()
    reference = fields.String()
    balance_after = fields.Integer()
    created_at = fields.AwareDateTime()


class WalletSchema(Schema):
    balance = fields.Nested(MoneySchema)
    ledger = fields.List(fields.Nested(LedgerEntrySchema))
