"""HTTP routes of the wallet: parse, call one ledger use case, serialize."""

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from payment import ledger
from payment.topups import packages
from payment.wallet_view import wallet_view
from service_runtime.app import current_db
from service_runtime.blueprint import Blueprint
from service_runtime.http import current_user_id, idempotency_key, idempotent
from service_runtime.money import MoneySchema
from service_runtime.openapi import signed_in
from service_runtime.paging import Cursor, page_limit

wallet = Blueprint("wallet", __name__, url_prefix="/api/v1/wallet", description="Wallet")


class WalletQuerySchema(Schema):
    limit = page_limit(default=50)
    cursor = Cursor(r"[0-9]{1,18}", decode=int, metadata={
        "description": "next_cursor of the previous page (a posting id)"})


class WalletLineSchema(Schema):
    amount = fields.Integer()
    currency = fields.String()
    kind = fields.String()  # credit | payment | top_up | refund | withdrawal
    reference = fields.String()
    balance_after = fields.Integer()
    created_at = fields.AwareDateTime()
    payment_id = fields.String(allow_none=True, metadata={
        "description": "payment and top_up: the payment (GET /payments/{id}); refund: the "
                       "payment refunded"})
    refund_id = fields.String(allow_none=True, metadata={
        "description": "refund: the refund, listed in its payment's refunds"})
    withdrawal_id = fields.String(allow_none=True, metadata={
        "description": "withdrawal: the withdrawal"})
    order_id = fields.String(allow_none=True, metadata={
        "description": "payment and refund: the order paid or refunded"})


class WalletViewSchema(Schema):
    balance = fields.Nested(MoneySchema)
    ledger = fields.List(fields.Nested(WalletLineSchema), attribute="lines")
    next_cursor = fields.String(allow_none=True)


class TopUpPackageSchema(Schema):
    id = fields.String()
    price = fields.Nested(MoneySchema)
    credit = fields.Nested(MoneySchema)


class WithdrawalRequestSchema(Schema):
    amount = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=1, max=ledger.MAX_AMOUNT))
    bank_account = fields.String(required=True, validate=validate.Regexp(
        f"^{ledger.BANK_ACCOUNT.pattern}$", error="must be 12 to 19 digits"))


class WithdrawalSchema(Schema):
    id = fields.String()
    amount = fields.Nested(MoneySchema, attribute="money")
    bank_account = fields.Method("masked_account")
    status = fields.String()
    created_at = fields.AwareDateTime()

    def masked_account(self, withdrawal):  # type: ignore[no-untyped-def]
        """Only the last four digits ever leave the service."""
        return "*" * (len(withdrawal.bank_account) - 4) + withdrawal.bank_account[-4:]


@wallet.route("")
class Wallet(MethodView):
    @signed_in
    @wallet.arguments(WalletQuerySchema, location="query")
    @wallet.response(200, WalletViewSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return wallet_view(current_db(), current_user_id(), query["limit"], query["cursor"])


@wallet.route("/top-up-packages")
class TopUpPackages(MethodView):
    @wallet.response(200, TopUpPackageSchema(many=True))
    def get(self):  # type: ignore[no-untyped-def]
        """Public: what a top-up costs and what it credits (bonus included)."""
        return packages()


@wallet.route("/withdrawals")
class Withdrawals(MethodView):
    @signed_in
    @wallet.arguments(WithdrawalRequestSchema)
    @wallet.response(201, WithdrawalSchema)
    @wallet.alt_response(200, schema=WithdrawalSchema,
                         description="Replay of an Idempotency-Key")
    @idempotent(wallet)
    def post(self, body):  # type: ignore[no-untyped-def]
        withdrawal, created = ledger.request_withdrawal(
            current_db(), current_user_id(), body["amount"], body["bank_account"],
            idempotency_key())
        return (withdrawal, 201) if created else (withdrawal, 200)
