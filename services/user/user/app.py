"""``create_app()`` builds the user API; nothing connects until a request arrives."""

from flask import Flask

from service_runtime.app import create_service_api
from service_runtime.auth import TokenVerifier
from user.admin_users_api import admin_users
from user.api import auth, internal, users
from user.definition import DEFINITION
from user.keys import public_jwks
from user.sessions import is_revoked
from user.settings import UserSettings


def create_app(config: dict | None = None, database: str | None = None,
               settings: UserSettings | None = None) -> Flask:
    app = create_service_api(DEFINITION, blueprints=[auth, users, admin_users], database=database,
                             config=config, settings=settings)
    app.register_blueprint(internal)
    # The user service verifies tokens against its own keys and its own record of ended
    # sign-ins, both read from its database.
    app.extensions["token_verifier"] = TokenVerifier(
        app.extensions["auth_settings"], lambda: public_jwks(app.extensions["db"]),
        lambda session_id: is_revoked(app.extensions["db"], session_id), DEFINITION.name)
    return app
