"""HTTP routes of the user service: parse, call one use case, serialize."""

from flask.views import MethodView
from flask_smorest import Blueprint

from service_runtime.app import current_db
from service_runtime.auth import AuthSettings, current_user_id
from user import service
from user.schemas import (
    AddressChangeSchema,
    AddressInputSchema,
    AddressSchema,
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
users = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Profile, addresses")


@auth.post("/register")
@auth.arguments(RegisterSchema)
@auth.response(201, RegisteredSchema)
def register(body):  # type: ignore[no-untyped-def]
    user = service.register(current_db(), body["email"] and body["email"].lower(), body["phone"],
                            body["password"], body["nickname"])
    return {"user_id": user.id}


@auth.post("/login")
@auth.arguments(LoginSchema)
@auth.response(200, TokenPairSchema)
def login(body):  # type: ignore[no-untyped-def]
    return service.login(current_db(), body["login"], body["password"], AuthSettings.from_env())


@auth.post("/refresh")
@auth.arguments(RefreshSchema)
@auth.response(200, TokenPairSchema)
def refresh(body):  # type: ignore[no-untyped-def]
    return service.refresh(current_db(), body["refresh_token"], AuthSettings.from_env())


@auth.post("/logout")
@auth.arguments(RefreshSchema)
@auth.response(204)
def logout(body):  # type: ignore[no-untyped-def]
    service.logout(current_db(), body["refresh_token"])


@auth.get("/jwks.json")
@auth.response(200, JwksSchema)
def signing_keys():  # type: ignore[no-untyped-def]
    return service.public_jwks(current_db())


@users.route("/me")
class Me(MethodView):
    @users.response(200, ProfileSchema)
    def get(self):  # type: ignore[no-untyped-def]
        return service.get_user(current_db(), current_user_id())

    @users.arguments(ProfileChangeSchema)
    @users.response(200, ProfileSchema)
    def patch(self, body):  # type: ignore[no-untyped-def]
        return service.update_profile(current_db(), current_user_id(), body)


@users.route("/me/addresses")
class Addresses(MethodView):
    @users.response(200, AddressSchema(many=True))
    def get(self):  # type: ignore[no-untyped-def]
        return service.list_addresses(current_db(), current_user_id())

    @users.arguments(AddressInputSchema)
    @users.response(201, AddressSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        return service.add_address(current_db(), current_user_id(), body)


@users.route("/me/addresses/<string:address_id>")
class AddressById(MethodView):
    @users.arguments(AddressChangeSchema)
    @users.response(200, AddressSchema)
    def patch(self, body, address_id):  # type: ignore[no-untyped-def]
        return service.update_address(current_db(), current_user_id(), address_id, body)

    @users.response(204)
    def delete(self, address_id):  # type: ignore[no-untyped-def]
        service.delete_address(current_db(), current_user_id(), address_id)
