"""HTTP routes of flash sales: parse, call one use case, serialize.

Public: the sessions; signed in: the gate (``POST .../attempts``) and the caller's
attempt; admin: create, list and end sessions.
"""

import functools
from collections.abc import Callable
from typing import Any

from flask.views import MethodView

from marketing import flash_attempts, flash_sales
from marketing.flash_domain import SoldOut
from marketing.flash_gate import Attempt, gate_for
from marketing.flash_schemas import (
    AttemptAcceptedSchema,
    AttemptRequestSchema,
    AttemptSchema,
    FlashSessionListSchema,
    FlashSessionPatchSchema,
    FlashSessionSchema,
    NewFlashSessionSchema,
)
from service_runtime.app import current_db, current_settings
from service_runtime.auth import ADMIN, bearer_token, current_user_id
from service_runtime.blueprint import Blueprint
from service_runtime.http import idempotency_key, idempotent
from service_runtime.openapi import SecuredBlueprint, signed_in

flash = Blueprint("marketing-flash", __name__, url_prefix="/api/v1",
                  description="Flash sales (秒杀): sessions, the gate, attempts")
flash_admin = SecuredBlueprint("marketing-flash-admin", __name__, url_prefix="/api/v1/admin",
                               role=ADMIN, description="Flash sessions")

ID = "<string(maxlength=40):{}>"
SKU = "<string(maxlength=64):sku>"


@flash.route("/flash-sales")
class FlashSessions(MethodView):
    @flash.response(200, FlashSessionListSchema)
    def get(self):  # type: ignore[no-untyped-def]
        """Sessions not over yet, with their items and what is left; ``server_time`` for
        the countdowns."""
        return flash_sales.list_sessions(current_db(), admin=False)


def known_sold_out_first(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer ``sold-out`` from this process's memo before the token is verified, the body
    parsed or the database asked: in a storm nearly every attempt is such a loser, and
    that an item is sold out is public. Without an ``Authorization`` header the caller is
    still told to sign in (by ``signed_in``); a bad token learns nothing it could not read
    from ``GET /flash-sales``. Put it above ``signed_in``."""

    @functools.wraps(view)
    def answered(*args: Any, **kwargs: Any) -> Any:
        session_id, sku = kwargs["session_id"], kwargs["sku"]
        if bearer_token() is not None \
                and gate_for(current_settings()).known_sold_out(session_id, sku):
            raise SoldOut(f"{sku} is sold out")
        return view(*args, **kwargs)

    return answered


@flash.route("/flash-sales/" + ID.format("session_id") + "/items/" + SKU + "/attempts")
class FlashAttempts(MethodView):
    @known_sold_out_first
    @signed_in
    @flash.arguments(AttemptRequestSchema)
    @flash.response(202, AttemptAcceptedSchema)
    @flash.alt_response(200, schema=AttemptAcceptedSchema,
                        description="Replay of an Idempotency-Key that won: that attempt, "
                                    "as it is now (nothing more is taken)")
    @flash.alt_response(409, description="sold-out, limit-reached, not-started or ended "
                                         "(a problem)")
    @idempotent(flash)
    def post(self, body, session_id, sku):  # type: ignore[no-untyped-def]
        """Try to buy: won units are the caller's (an order is made from the attempt:
        poll ``GET /flash-sales/attempts/{id}``); losers are answered at once. With an
        `Idempotency-Key`, a retry of a press that won gets that attempt back; once the
        item is sold out, a retry may be answered `sold-out` from memory (the won
        attempt's order is in the buyer's orders)."""
        wanted = Attempt(current_user_id(), body["quantity"], body["address_id"],
                         body["delivery_method"], idempotency_key())
        answer, won = gate_for(current_settings()).attempt(current_db(), session_id, sku,
                                                           wanted)
        return (answer, 202) if won else (answer, 200)


@flash.route("/flash-sales/attempts/" + ID.format("attempt_id"))
class FlashAttemptById(MethodView):
    @signed_in
    @flash.response(200, AttemptSchema)
    def get(self, attempt_id):  # type: ignore[no-untyped-def]
        """The caller's attempt: pending, ordered (order_id, payment_due_at), rejected
        (reason) or cancelled (its order was)."""
        return flash_attempts.attempt_view(current_db(), attempt_id, current_user_id())


@flash_admin.route("/flash-sales")
class AdminFlashSessions(MethodView):
    @flash_admin.arguments(NewFlashSessionSchema)
    @flash_admin.response(201, FlashSessionSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        return flash_sales.create_session(current_db(), body)

    @flash_admin.response(200, FlashSessionListSchema)
    def get(self):  # type: ignore[no-untyped-def]
        return flash_sales.list_sessions(current_db(), admin=True)


@flash_admin.route("/flash-sales/" + ID.format("session_id"))
class AdminFlashSessionById(MethodView):
    @flash_admin.arguments(FlashSessionPatchSchema)
    @flash_admin.response(200, FlashSessionSchema)
    def patch(self, _body, session_id):  # type: ignore[no-untyped-def]
        """End the session now (FlashSessionEnded: the catalog releases what is left)."""
        return flash_sales.end_early(current_db(), session_id)
