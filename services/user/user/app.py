"""``create_app()`` builds the user API; nothing connects until a request arrives."""

from flask import Flask

from service_runtime.app import create_service_api
from service_runtime.auth import AuthSettings, TokenVerifier
from user.api import auth, users
from user.definition import DEFINITION
from user.service import public_jwks


def create_app(config: dict | None = None, database: str | None = None) -> Flask:
    app = create_service_api(DEFINITION, blueprints=[auth, users], database=database, config=config)
    # The user service verifies tokens against its own keys, read from its database.
    app.extensions["token_verifier"] = TokenVerifier(
        AuthSettings.from_env(), lambda: public_jwks(app.extensions["db"]))
    return app
