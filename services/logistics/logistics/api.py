"""HTTP routes of the logistics service: parse, call one use case, serialize.

Three audiences: the buyer (tracking of their own order), the merchant (admin role:
shipments, shipping, pickup collection) and carriers (signed tracking callbacks; no
user token, the HMAC signature is their authentication).
"""

from flask import request
from flask.views import MethodView

from logistics import dispatch, tracking
from logistics.carriers import SIGNATURE_HEADER, TIMESTAMP_HEADER
from logistics.schemas import (
    AdminShipmentSchema,
    CallbackResultSchema,
    CarrierCallbackSchema,
    CollectSchema,
    ShipmentPageSchema,
    ShipmentQuerySchema,
    ShipSchema,
    TrackingSchema,
)
from service_runtime.app import current_db, current_settings
from service_runtime.auth import ADMIN, current_user_id
from service_runtime.blueprint import Blueprint
from service_runtime.openapi import SecuredBlueprint, signed_in

blp = Blueprint("logistics", __name__, url_prefix="/api/v1", description="Order tracking")
admin = SecuredBlueprint("logistics-admin", __name__, url_prefix="/api/v1/admin", role=ADMIN,
                         description="Shipments (admin role)")
callbacks = Blueprint("logistics-callbacks", __name__, url_prefix="/api/v1/logistics/callbacks",
                      description="Carrier tracking callbacks (public, carrier-signed)")


@callbacks.before_request
def carrier_signed() -> None:
    """Every callback: the carrier's signature over the raw body, checked before parsing.

    A refused callback (404 unknown carrier, 401 unsigned, forged or stale) is never
    parsed and changes nothing.
    """
    carrier = (request.view_args or {}).get("carrier", "")
    settings = current_settings()
    tracking.check_callback(carrier, settings.secrets,
                           request.headers.get(TIMESTAMP_HEADER),
                           request.headers.get(SIGNATURE_HEADER),
                           request.get_data(cache=True),
                           settings.callback_max_age_s)


@blp.route("/orders/<string:order_id>/tracking")
class Tracking(MethodView):
    @signed_in
    @blp.response(200, TrackingSchema)
    def get(self, order_id):  # type: ignore[no-untyped-def]
        """The caller's order's shipments, ETAs and timelines (someone else's order: 404)."""
        return tracking.track_order(current_db(), current_user_id(), order_id)


@admin.route("/shipments")
class Shipments(MethodView):
    @admin.arguments(ShipmentQuerySchema, location="query")
    @admin.response(200, ShipmentPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        """Shipments, newest first, by order and status."""
        return dispatch.list_shipments(current_db(), **query)


@admin.route("/shipments/<string:shipment_id>")
class ShipmentById(MethodView):
    @admin.response(200, AdminShipmentSchema)
    def get(self, shipment_id):  # type: ignore[no-untyped-def]
        return dispatch.get_shipment(current_db(), shipment_id)


@admin.route("/shipments/<string:shipment_id>/ship")
class Ship(MethodView):
    @admin.arguments(ShipSchema)
    @admin.response(200, AdminShipmentSchema)
    def post(self, body, shipment_id):  # type: ignore[no-untyped-def]
        """A ready shipment leaves with a carrier (pickup orders: ``store``); emits Shipped."""
        return dispatch.ship(current_db(), shipment_id, body["carrier"], body["tracking_number"],
                             current_settings().transit_days)


@admin.route("/shipments/<string:shipment_id>/collect")
class Collect(MethodView):
    @admin.arguments(CollectSchema)
    @admin.response(200, AdminShipmentSchema)
    def post(self, body, shipment_id):  # type: ignore[no-untyped-def]
        """The clerk enters the buyer's pickup code; the shipment is delivered."""
        return dispatch.collect(current_db(), shipment_id, body["pickup_code"])


@callbacks.route("/<string:carrier>")
class CarrierCallback(MethodView):
    @callbacks.arguments(CarrierCallbackSchema)
    @callbacks.response(200, CallbackResultSchema)
    @callbacks.doc(parameters=[
        {"in": "header", "name": TIMESTAMP_HEADER, "required": True,
         "schema": {"type": "string"}, "description": "Unix seconds"},
        {"in": "header", "name": SIGNATURE_HEADER, "required": True,
         "schema": {"type": "string"},
         "description": "hex HMAC-SHA256(carrier secret, timestamp + '.' + raw body)"},
    ])
    def post(self, body, carrier):  # type: ignore[no-untyped-def]
        """Tracking events of one parcel; each event applies once."""
        return tracking.apply_tracking(current_db(), carrier, body["tracking_number"],
                                      body["events"])
