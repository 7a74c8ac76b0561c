"""HTTP routes of the payment service: parse, call one use case, serialize."""

from flask import Response, redirect, request
from flask.views import MethodView

from payment import sandbox
from payment.finance_file import MEDIA_TYPES, FileFormat, finance_rows, render
from payment.payments import get_payment, handle_notification, list_payments, pay
from payment.reconciliation import daily_report
from payment.schemas import (
    CashierQuerySchema,
    DayPathSchema,
    FinanceFileQuerySchema,
    NotificationQuerySchema,
    PaymentQuerySchema,
    PaymentSchema,
    PayOrderSchema,
    ReconciliationQuerySchema,
    ReconciliationSchema,
    SandboxFormSchema,
    SandboxNotificationSchema,
    TopUpSchema,
)
from payment.topups import top_up
from service_runtime.app import current_db, current_settings
from service_runtime.auth import ADMIN
from service_runtime.blueprint import Blueprint
from service_runtime.downloads import file_answer, file_responses
from service_runtime.http import current_user_id, idempotency_key, idempotent
from service_runtime.openapi import SecuredBlueprint, requires_role, signed_in

payments = Blueprint("payments", __name__, url_prefix="/api/v1/payments",
                     description="Payments: intents, provider callbacks, the provider sandbox")
top_ups = SecuredBlueprint("top_ups", __name__, url_prefix="/api/v1/wallet/top-ups",
                           description="Wallet top-ups through a payment provider")
reconciliation = SecuredBlueprint("reconciliation", __name__,
                                  url_prefix="/api/v1/admin/reconciliation", role=ADMIN,
                                  description="Daily reconciliation of payments (admin)")


def _html(page: str, status: int = 200) -> Response:
    return Response(page, status=status, mimetype="text/html")


@payments.route("")
class Payments(MethodView):
    @signed_in
    @payments.arguments(PayOrderSchema)
    @payments.response(201, PaymentSchema)
    @payments.alt_response(200, schema=PaymentSchema, description="Replay of an Idempotency-Key")
    @idempotent(payments)
    def post(self, body):  # type: ignore[no-untyped-def]
        payment, created = pay(current_db(), current_settings(), current_user_id(),
                               body["order_id"], body["method"], idempotency_key(),
                               body["return_url"])
        return (payment, 201) if created else (payment, 200)

    @signed_in
    @payments.arguments(PaymentQuerySchema, location="query")
    @payments.response(200, PaymentSchema(many=True))
    def get(self, query):  # type: ignore[no-untyped-def]
        return list_payments(current_db(), current_user_id(), query["order_id"])


@payments.route("/<string:payment_id>")
class PaymentById(MethodView):
    @signed_in
    @payments.response(200, PaymentSchema)
    def get(self, payment_id):  # type: ignore[no-untyped-def]
        return get_payment(current_db(), current_user_id(), payment_id)


@payments.route("/callbacks/<string:provider>")
class Callback(MethodView):
    @payments.doc(summary="A provider's signed asynchronous notification (public)",
                  responses={"200": {"description": "Acknowledged, in the provider's format"}})
    def post(self, provider):  # type: ignore[no-untyped-def]
        ack = handle_notification(current_db(), current_settings(), provider,
                                  request.get_data(), request.headers)
        return Response(ack.body, status=ack.status, mimetype=ack.content_type)


@payments.route("/sandbox/notifications")
class SandboxNotifications(MethodView):
    @requires_role(ADMIN)
    @payments.arguments(NotificationQuerySchema, location="query")
    @payments.response(200, SandboxNotificationSchema(many=True))
    def get(self, query):  # type: ignore[no-untyped-def]
        return sandbox.notifications(current_db(), query["payment_id"])


@payments.route("/sandbox/<string:provider>/<string:payment_id>")
class SandboxCashier(MethodView):
    @payments.doc(summary="The sandbox provider's cashier page (HTML)")
    @payments.arguments(CashierQuerySchema, location="query")
    def get(self, query, provider, payment_id):  # type: ignore[no-untyped-def]
        return _html(sandbox.cashier_page(current_db(), current_settings(), provider,
                                          payment_id, query["token"]))

    @payments.arguments(CashierQuerySchema, location="query")
    @payments.arguments(SandboxFormSchema, location="form")
    def post(self, query, form, provider, payment_id):  # type: ignore[no-untyped-def]
        page, back = sandbox.submit(current_db(), current_settings(), provider, payment_id,
                                    query["token"], form["payment_id"], form["outcome"])
        # As a provider's H5 cashier does: straight back to the shop when it said where.
        return redirect(back, 303) if back else _html(page)


@top_ups.route("")
class TopUps(MethodView):
    @top_ups.arguments(TopUpSchema)
    @top_ups.response(201, PaymentSchema)
    @top_ups.alt_response(200, schema=PaymentSchema, description="Replay of an Idempotency-Key")
    @idempotent(top_ups)
    def post(self, body):  # type: ignore[no-untyped-def]
        payment, created = top_up(current_db(), current_settings(), current_user_id(),
                                  body["package_id"], body["amount"], body["method"],
                                  idempotency_key(), body["return_url"])
        return (payment, 201) if created else (payment, 200)


@reconciliation.route("")
class Reconciliation(MethodView):
    @reconciliation.arguments(ReconciliationQuerySchema, location="query")
    @reconciliation.response(200, ReconciliationSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return daily_report(current_db(), query["date"])


@reconciliation.route("/<string:day>/file")
class FinanceFile(MethodView):
    @reconciliation.arguments(DayPathSchema, location="path")
    @reconciliation.arguments(FinanceFileQuerySchema, location="query")
    @reconciliation.doc(
        summary="The day's finance file for the middle platform",
        description="One row per payment received and per refund paid on the day (UTC); "
                    "its totals per method equal the day's report `by_method`.",
        responses=file_responses("The file (CSV or Parquet, by `format`)",
                                 MEDIA_TYPES.values()))
    def get(self, path, query, day):  # type: ignore[no-untyped-def]
        file_format = FileFormat(query["format"])
        rows = finance_rows(current_db(), path["day"])
        name = f"reconciliation-{path['day'].isoformat()}.{file_format.value}"
        return file_answer(render(rows, file_format), MEDIA_TYPES[file_format], name,
                           len(rows))
