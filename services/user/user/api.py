"""HTTP routes of the user service: parse, call one use case, serialize."""

import functools
import ipaddress
from collections.abc import Callable

from flask import Blueprint as FlaskBlueprint
from flask import Response, jsonify, request
from flask.views import MethodView

from service_runtime.app import current_db, current_settings
from service_runtime.auth import auth_settings, current_user_id
from service_runtime.blueprint import Blueprint
from service_runtime.clients import client_address
from service_runtime.openapi import SecuredBlueprint
from user import accounts, addresses, codes, keys, membership_view, sessions
from user.membership_schemas import MembershipQuerySchema, MembershipSchema
from user.schemas import (
    AddressChangeSchema,
    AddressInputSchema,
    AddressSchema,
    CodeRequestSchema,
    CodeSentSchema,
    JwksSchema,
    LoginSchema,
    ProfileChangeSchema,
    ProfileSchema,
    RefreshSchema,
    RegisteredSchema,
    RegisterSchema,
    TokenPairSchema,
)

auth = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-up and sign-in")
users = SecuredBlueprint("users", __name__, url_prefix="/api/v1/users",
                         description="Profile, addresses, membership (signed in)")
# For the platform's own processes, not clients: outside /api/v1, so the gateway never
# forwards it, and outside the OpenAPI document.
internal = FlaskBlueprint("internal", __name__, url_prefix="/internal")


@auth.post("/register")
@auth.arguments(RegisterSchema)
@auth.response(201, RegisteredSchema)
def register(body):  # type: ignore[no-untyped-def]
    email = body["email"] and body["email"].lower()
    if body["code"] or current_settings().registration_requires_code:
        codes.use_code(current_db(), email or body["phone"], "register", body["code"] or "")
    user = accounts.register(current_db(), email, body["phone"], body["password"],
                            body["nickname"])
    return {"user_id": user.id}


@auth.post("/verification-codes")
@auth.arguments(CodeRequestSchema)
@auth.response(202, CodeSentSchema)
def send_code(body):  # type: ignore[no-untyped-def]
    target = body["target"].lower() if body["channel"] == "email" else body["target"]
    return {"expires_in": codes.send_code(current_db(), body["channel"], target,
                                            body["purpose"])}


@auth.post("/login")
@auth.arguments(LoginSchema)
@auth.response(200, TokenPairSchema)
def login(body):  # type: ignore[no-untyped-def]
    if "phone" in body and "code" in body:  # the schema allows one way in, never both
        return accounts.login_with_code(current_db(), body["phone"], body["code"],
                                       auth_settings())
    return accounts.login(current_db(), body["login"], body["password"], auth_settings(),
                          client=_client_of(current_settings().trusted_proxies)())


@functools.cache
def _client_of(trusted: tuple[str, ...]) -> Callable[[], str]:
    """Who a request comes from (parsed networks kept: one per settings value)."""
    return client_address([ipaddress.ip_network(network) for network in trusted])


@auth.post("/refresh")
@auth.arguments(RefreshSchema)
@auth.response(200, TokenPairSchema)
def refresh(body):  # type: ignore[no-untyped-def]
    return sessions.refresh(current_db(), body["refresh_token"], auth_settings())


@auth.post("/logout")
@auth.arguments(RefreshSchema)
@auth.response(204)
def logout(body):  # type: ignore[no-untyped-def]
    sessions.logout(current_db(), body["refresh_token"], auth_settings())


@auth.get("/jwks.json")
@auth.response(200, JwksSchema)
def signing_keys():  # type: ignore[no-untyped-def]
    return keys.public_jwks(current_db())


@internal.get("/revocations")
def revocations() -> Response:
    """The deny-list every token verifier keeps (see service_runtime.revocations)."""
    return jsonify(sessions.revocations_since(current_db(), request.args.get("since")))


@internal.get("/users/<string:user_id>/addresses/<string:address_id>")
def user_address(user_id: str, address_id: str) -> Response:
    """One address of a user, for the order worker making a flash-sale order (no buyer
    token there); another user's or an unknown address is a 404 problem."""
    return jsonify(AddressSchema().dump(addresses.get_address(current_db(), user_id,
                                                              address_id)))


@users.route("/me")
class Me(MethodView):
    @users.response(200, ProfileSchema)
    def get(self):  # type: ignore[no-untyped-def]
        return accounts.get_user(current_db(), current_user_id())

    @users.arguments(ProfileChangeSchema)
    @users.response(200, ProfileSchema)
    def patch(self, body):  # type: ignore[no-untyped-def]
        return accounts.update_profile(current_db(), current_user_id(), body)


@users.route("/me/addresses")
class Addresses(MethodView):
    @users.response(200, AddressSchema(many=True))
    def get(self):  # type: ignore[no-untyped-def]
        return addresses.list_addresses(current_db(), current_user_id())

    @users.arguments(AddressInputSchema)
    @users.response(201, AddressSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        return addresses.add_address(current_db(), current_user_id(), body)


@users.route("/me/addresses/<string:address_id>")
class AddressById(MethodView):
    @users.response(200, AddressSchema)
    def get(self, address_id):  # type: ignore[no-untyped-def]
        return addresses.get_address(current_db(), current_user_id(), address_id)

    @users.arguments(AddressChangeSchema)
    @users.response(200, AddressSchema)
    def patch(self, body, address_id):  # type: ignore[no-untyped-def]
        return addresses.update_address(current_db(), current_user_id(), address_id, body)

    @users.response(204)
    def delete(self, address_id):  # type: ignore[no-untyped-def]
        addresses.delete_address(current_db(), current_user_id(), address_id)


@users.get("/me/membership")
@users.arguments(MembershipQuerySchema, location="query")
@users.response(200, MembershipSchema)
def my_membership(query):  # type: ignore[no-untyped-def]
    """Level (by growth value), progress to the next, points, perks and the points history."""
    return membership_view.membership_of(current_db(), current_user_id(), query["limit"],
                                         query["cursor"])
