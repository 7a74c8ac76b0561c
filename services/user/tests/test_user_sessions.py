"""Sign-ins after login: a lock stops refreshes, and an ended sign-in's access tokens are
refused (by the user service at once, by everyone else from ``/internal/revocations``)."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import update

from event_contracts import REGISTRY
from service_runtime.ids import utcnow
from service_runtime.testing.plugin import ServiceUnderTest, outbox_events
from user.app import create_app
from user.definition import DEFINITION
from user.models import SessionRevocation, User

PASSWORD = "correct horse 42"
EMAIL = "x@y.cn"


@pytest.fixture
def service_under_test():
    return ServiceUnderTest(DEFINITION, create_app)


def sign_in(client, login: str = EMAIL, password: str = PASSWORD):
    return client.post("/api/v1/auth/login", json={"login": login, "password": password})


@pytest.fixture
def tokens(client) -> dict:
    assert client.post("/api/v1/auth/register",
                       json={"email": EMAIL, "password": PASSWORD}).status_code == 201
    return sign_in(client).json


def refresh(client, tokens: dict):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


def me(client, tokens: dict):
    return client.get("/api/v1/users/me",
                      headers={"Authorization": f"Bearer {tokens['access_token']}"})


def session_id(tokens: dict) -> str:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]


def revoked_ids(client, since: str | None = None) -> set[str]:
    response = client.get("/internal/revocations", query_string={"since": since} if since else {})
    assert response.status_code == 200, response.json
    return {entry["session_id"] for entry in response.json["revoked"]}


def test_a_locked_account_cannot_refresh_and_its_token_is_not_used_up(client, db, tokens):
    for _ in range(5):
        assert sign_in(client, password="wrong password").status_code == 401
    locked = refresh(client, tokens)
    assert locked.status_code == 423, locked.json
    assert locked.json["type"] == "urn:shop:problem:account-locked"
    assert "locked_until" in locked.json
    # The lock passes: the same refresh token still works, so it was not rotated.
    with db.transaction() as session:
        session.execute(update(User).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert refresh(client, tokens).status_code == 200


def test_an_access_token_names_its_sign_in_and_refreshes_keep_it(client, tokens):
    renewed = refresh(client, tokens).json
    assert session_id(renewed) == session_id(tokens)
    assert session_id(sign_in(client).json) != session_id(tokens), "a new login, a new sign-in"


def test_logout_refuses_the_access_tokens_of_that_sign_in_only(client, db, tokens):
    other = sign_in(client).json
    assert me(client, tokens).status_code == 200
    assert client.post("/api/v1/auth/logout",
                       json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    refused = me(client, tokens)
    assert refused.status_code == 401
    assert refused.json["type"] == "urn:shop:problem:unauthorized"
    assert refused.json["reason"] == "token-revoked"
    assert me(client, other).status_code == 200, "another sign-in of the same user goes on"
    assert revoked_ids(client) == {session_id(tokens)}
    [event] = outbox_events(db, "SessionsRevoked")
    REGISTRY.validate_outgoing("SessionsRevoked", 1, event["data"])
    assert event["data"]["session_ids"] == [session_id(tokens)]
    assert event["data"]["reason"] == "logout" and event["key"] == event["data"]["user_id"]
    # Signing out again is not a second revocation.
    client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert len(outbox_events(db, "SessionsRevoked")) == 1


def test_a_reused_refresh_token_ends_the_sign_in_everywhere(client, db, tokens):
    renewed = refresh(client, tokens).json
    assert refresh(client, tokens).status_code == 401  # the replay
    assert me(client, tokens).json["reason"] == "token-revoked"
    assert me(client, renewed).json["reason"] == "token-revoked"
    [event] = outbox_events(db, "SessionsRevoked")
    assert event["data"]["reason"] == "refresh_token_reused"
    assert revoked_ids(client) == {session_id(tokens)}


def test_a_replay_ends_the_sign_in_even_while_the_account_is_locked(client, db, tokens):
    refresh(client, tokens)
    with db.transaction() as session:
        session.execute(update(User).values(locked_until=utcnow() + timedelta(minutes=15)))
    assert refresh(client, tokens).status_code == 401
    assert revoked_ids(client) == {session_id(tokens)}


def test_a_refresh_token_left_unrevoked_by_a_race_still_cannot_refresh(client, db, tokens):
    # As if a rotation had committed while the logout revoked the family's tokens.
    with db.transaction() as session:
        session.add(SessionRevocation(session_id=session_id(tokens), user_id="usr_1",
                                      reason="logout", revoked_at=utcnow(),
                                      tokens_expire_by=utcnow() + timedelta(minutes=16)))
    refused = refresh(client, tokens)
    assert refused.status_code == 401
    assert refused.json["type"] == "urn:shop:problem:invalid-refresh-token"


def test_the_deny_list_serves_live_entries_since_a_cursor(client, db, tokens):
    at = utcnow()
    with db.transaction() as session:
        # Revoked a minute ago (before any cursor below), and long ago (its tokens expired).
        session.add(SessionRevocation(session_id="a" * 32, user_id="usr_1", reason="logout",
                                      revoked_at=at - timedelta(minutes=1),
                                      tokens_expire_by=at + timedelta(minutes=15)))
        session.add(SessionRevocation(session_id="b" * 32, user_id="usr_1", reason="logout",
                                      revoked_at=at - timedelta(hours=1),
                                      tokens_expire_by=at - timedelta(minutes=44)))
    first = client.get("/internal/revocations").json
    assert {e["session_id"] for e in first["revoked"]} == {"a" * 32}
    client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert revoked_ids(client, first["cursor"]) == {session_id(tokens)}


@pytest.mark.parametrize("since", ["yesterday", "2026-12-01T08:00:00"])
def test_a_bad_cursor_is_a_422_problem(client, since):
    response = client.get("/internal/revocations", query_string={"since": since})
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_the_deny_list_is_not_in_the_public_api_document(client):
    assert not [path for path in client.get("/openapi.json").json["paths"]
                if path.startswith("/internal")]
