"""HTTP routes of the payment service: parse, call one use case, serialize."""

from flask.views import MethodView
from flask_smorest import Blueprint

from payment import service
from payment.schemas import PaymentSchema, PayOrderSchema, WalletSchema
from service_runtime.app import current_db
from service_runtime.http import current_user_id, idempotency_key

payments = Blueprint("payments", __name__, url_prefix="/api/v1/payments",
                     description="Payments")
wallet = Blueprint("wallet", __name__, url_prefix="/api/v1/wallet", description="Wallet")


@payments.route("")
class Payments(MethodView):
    @payments.arguments(PayOrderSchema)
    @payments.response(201, PaymentSchema)
    @payments.alt_response(200, schema=PaymentSchema, description="Replay of an Idempotency-Key")
    def post(self, body):  # type: ignore[no-untyped-def]
        payment, created = service.pay(current_db(), current_user_id(), body["order_id"],
                                       body["method"], idempotency_key())
        return (payment, 201) if created else (payment, 200)


@payments.route("/<string:payment_id>")
class PaymentById(MethodView):
    @payments.response(200, PaymentSchema)
    def get(self, payment_id):  # type: ignore[no-untyped-def]
        return service.get_payment(current_db(), current_user_id(), payment_id)


@wallet.route("")
class Wallet(MethodView):
    @wallet.response(200, WalletSchema)
    def get(self):  # type: ignore[no-untyped-def]
        return service.get_wallet(current_db(), current_user_id())
