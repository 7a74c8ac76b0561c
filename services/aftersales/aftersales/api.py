"""HTTP routes of the after-sales service: parse, call one use case, serialize.

A customer only ever reaches their own requests, orders and tickets (anyone else's id is
a 404); the merchant's side lives under ``/api/v1/admin`` and needs the admin role.
Product reviews are public.
"""

from flask.views import MethodView

from aftersales import returns, reviews, tickets
from aftersales.schemas import (
    AdminReturnQuerySchema,
    AdminTicketQuerySchema,
    NewReturnSchema,
    NewReviewSchema,
    NewTicketSchema,
    PageQuerySchema,
    RejectSchema,
    ReturnPageSchema,
    ReturnSchema,
    ReviewPageSchema,
    ReviewSchema,
    TicketMessageInSchema,
    TicketPageSchema,
    TicketSchema,
)
from service_runtime.app import current_db, current_settings
from service_runtime.auth import ADMIN, current_identity, current_user_id
from service_runtime.blueprint import Blueprint
from service_runtime.http import idempotency_key, idempotent
from service_runtime.openapi import SecuredBlueprint, signed_in

blp = Blueprint("aftersales", __name__, url_prefix="/api/v1",
                description="Returns, exchanges, refund requests, reviews and tickets")
admin = SecuredBlueprint("aftersales-admin", __name__, url_prefix="/api/v1/admin", role=ADMIN,
                         description="The merchant's side of after-sales (admin role)")

ID_PATH = "<string(maxlength=64):{}>"


def caller() -> tuple[str, bool]:
    """The verified caller and whether they are staff."""
    identity = current_identity()
    return identity.user_id, identity.has_role(ADMIN)


# -- returns ------------------------------------------------------------------------


@blp.route("/returns")
class Returns(MethodView):
    @signed_in
    @blp.arguments(NewReturnSchema)
    @blp.response(201, ReturnSchema)
    @blp.alt_response(200, schema=ReturnSchema, description="Replay of an Idempotency-Key")
    @idempotent(blp)
    def post(self, body):  # type: ignore[no-untyped-def]
        request, created = returns.request_return(
            current_db(), current_user_id(), body["order_id"], body["type"],
            [(line["sku"], line["quantity"]) for line in body["lines"]], body["reason"],
            idempotency_key(), current_settings().return_window)
        return (request, 201) if created else (request, 200)

    @signed_in
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ReturnPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return returns.list_returns(current_db(), query["limit"], query["cursor"],
                                    user_id=current_user_id())


@blp.route("/returns/" + ID_PATH.format("return_id"))
class ReturnById(MethodView):
    @signed_in
    @blp.response(200, ReturnSchema)
    def get(self, return_id):  # type: ignore[no-untyped-def]
        return returns.get_return(current_db(), return_id, user_id=current_user_id())


@admin.route("/returns")
class AdminReturns(MethodView):
    @admin.arguments(AdminReturnQuerySchema, location="query")
    @admin.response(200, ReturnPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return returns.list_returns(current_db(), query["limit"], query["cursor"],
                                    user_id=query["user_id"], status=query["status"],
                                    order_id=query["order_id"])


@admin.route("/returns/" + ID_PATH.format("return_id") + "/approve")
class AdminApprove(MethodView):
    @admin.response(200, ReturnSchema)
    def post(self, return_id):  # type: ignore[no-untyped-def]
        return returns.approve_return(current_db(), return_id)


@admin.route("/returns/" + ID_PATH.format("return_id") + "/reject")
class AdminReject(MethodView):
    @admin.arguments(RejectSchema)
    @admin.response(200, ReturnSchema)
    def post(self, body, return_id):  # type: ignore[no-untyped-def]
        return returns.reject_return(current_db(), return_id, body["reason"])


@admin.route("/returns/" + ID_PATH.format("return_id") + "/receive")
class AdminReceive(MethodView):
    @admin.response(200, ReturnSchema)
    def post(self, return_id):  # type: ignore[no-untyped-def]
        return returns.receive_return(current_db(), return_id)


# -- reviews ------------------------------------------------------------------------


@blp.route("/reviews")
class Reviews(MethodView):
    @signed_in
    @blp.arguments(NewReviewSchema)
    @blp.response(201, ReviewSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        return reviews.post_review(current_db(), current_user_id(), body["order_id"],
                                   body["product_id"], body["rating"], body["text"],
                                   body["images"])


@blp.route("/products/<int:product_id>/reviews")
class ProductReviews(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ReviewPageSchema)
    def get(self, query, product_id):  # type: ignore[no-untyped-def]
        return reviews.product_reviews(current_db(), product_id, query["limit"],
                                       query["cursor"])


# -- tickets ------------------------------------------------------------------------


@blp.route("/tickets")
class Tickets(MethodView):
    @signed_in
    @blp.arguments(NewTicketSchema)
    @blp.response(201, TicketSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        return tickets.open_ticket(current_db(), current_user_id(), body["order_id"],
                                   body["subject"], body["message"])

    @signed_in
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, TicketPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return tickets.list_tickets(current_db(), query["limit"], query["cursor"],
                                    user_id=current_user_id())


@blp.route("/tickets/" + ID_PATH.format("ticket_id"))
class TicketById(MethodView):
    @signed_in
    @blp.response(200, TicketSchema)
    def get(self, ticket_id):  # type: ignore[no-untyped-def]
        user_id, is_admin = caller()
        return tickets.get_ticket(current_db(), ticket_id, user_id, is_admin)


@blp.route("/tickets/" + ID_PATH.format("ticket_id") + "/messages")
class TicketMessages(MethodView):
    @signed_in
    @blp.arguments(TicketMessageInSchema)
    @blp.response(201, TicketSchema)
    def post(self, body, ticket_id):  # type: ignore[no-untyped-def]
        user_id, is_admin = caller()
        return tickets.add_ticket_message(current_db(), ticket_id, user_id, is_admin,
                                          body["message"])


@blp.route("/tickets/" + ID_PATH.format("ticket_id") + "/close")
class CloseTicket(MethodView):
    @signed_in
    @blp.response(200, TicketSchema)
    def post(self, ticket_id):  # type: ignore[no-untyped-def]
        """Its customer or staff close it; a new message reopens it."""
        user_id, is_admin = caller()
        return tickets.close_ticket(current_db(), ticket_id, user_id, is_admin)


@admin.route("/tickets")
class AdminTickets(MethodView):
    @admin.arguments(AdminTicketQuerySchema, location="query")
    @admin.response(200, TicketPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        return tickets.list_tickets(current_db(), query["limit"], query["cursor"],
                                    user_id=query["user_id"], status=query["status"],
                                    order_id=query["order_id"])
