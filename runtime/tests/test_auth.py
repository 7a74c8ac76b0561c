"""Token verification: what every service and the gateway accept, and what they refuse."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from flask import Blueprint, jsonify

from service_runtime.app import create_app
from service_runtime.auth import (
    ADMIN,
    AuthSettings,
    SigningKey,
    current_identity,
    jwks,
    require_role,
)
from service_runtime.testing.plugin import bearer

probe = Blueprint("probe", __name__)


@probe.get("/whoami")
def whoami():
    identity = current_identity()
    return jsonify(user=identity.user_id, roles=sorted(identity.roles))


@probe.get("/admin-only")
def admin_only():
    return jsonify(user=require_role(ADMIN).user_id)


@pytest.fixture
def client(signing_key):
    app = create_app("auth-probe", config={"AUTH_JWKS": jwks(signing_key)})
    app.register_blueprint(probe)
    return app.test_client()


def refused(response) -> None:
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:shop:problem:unauthorized"


def test_a_valid_token_identifies_the_caller(client, signing_key):
    response = client.get("/whoami", headers=bearer(signing_key, "u-1"))
    assert response.json == {"user": "u-1", "roles": ["customer"]}


def test_no_token_or_a_malformed_header_is_refused(client):
    refused(client.get("/whoami"))
    refused(client.get("/whoami", headers={"Authorization": "Basic dTpw"}))
    refused(client.get("/whoami", headers={"Authorization": "Bearer not-a-jwt"}))
    refused(client.get("/whoami", headers={"X-User-Id": "u-1"}))


def test_a_token_signed_by_another_key_is_refused(client):
    forger = SigningKey.generate()
    refused(client.get("/whoami", headers=bearer(forger, "u-1")))
    same_kid = SigningKey(SigningKey.generate().private_key, kid=forger.kid)
    refused(client.get("/whoami", headers=bearer(same_kid, "u-1")))


def test_alg_none_is_refused(client, signing_key):
    claims = {"iss": "shop-user", "aud": "shop", "sub": "u-1", "roles": ["admin"],
              "iat": int(time.time()), "exp": int(time.time()) + 600}

    def b64(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': signing_key.kid})}.{b64(claims)}."
    refused(client.get("/whoami", headers={"Authorization": f"Bearer {unsigned}"}))


def test_expired_and_foreign_audience_tokens_are_refused(client, signing_key):
    expired = signing_key.issue(AuthSettings(), "u-1", ["customer"], ttl_s=60,
                                now=time.time() - 3600)
    refused(client.get("/whoami", headers={"Authorization": f"Bearer {expired}"}))
    other_audience = signing_key.issue(AuthSettings(audience="elsewhere"), "u-1", ["customer"])
    refused(client.get("/whoami", headers={"Authorization": f"Bearer {other_audience}"}))


def test_a_tampered_token_is_refused(client, signing_key):
    token = signing_key.issue(AuthSettings(), "u-1", ["customer"])
    header, _, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["roles"] = ["admin"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    refused(client.get("/admin-only",
                       headers={"Authorization": f"Bearer {header}.{forged_payload}.{signature}"}))


def test_customers_cannot_reach_admin_routes(client, signing_key):
    response = client.get("/admin-only", headers=bearer(signing_key, "u-1"))
    assert response.status_code == 403
    assert response.json["type"] == "urn:shop:problem:forbidden"
    admin = client.get("/admin-only", headers=bearer(signing_key, "boss", roles=("admin",)))
    assert admin.status_code == 200 and admin.json == {"user": "boss"}
