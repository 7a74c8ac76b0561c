"""Accounts through the Flask test client, on a real database."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from event_contracts import REGISTRY
from service_runtime.auth import AuthSettings, TokenVerifier
from service_runtime.testing.checks import assert_ops_endpoints
from service_runtime.testing.plugin import ServiceUnderTest, outbox_events
from user import accounts
from user.accounts import ensure_admin
from user.app import create_app
from user.definition import DEFINITION
from user.keys import public_jwks
from user.models import User

PASSWORD = "correct horse 42"


@pytest.fixture
def service_under_test():
    # No AUTH_JWKS needed: the user service verifies with its own keys (see user.app).
    return ServiceUnderTest(DEFINITION, create_app)


def register(client, **body):
    return client.post("/api/v1/auth/register", json={"password": PASSWORD, **body})


def login(client, name, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"login": name, "password": password})


def auth(tokens) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_register_log_in_and_read_my_profile(client, db):
    created = register(client, email="Li.Lei@Example.cn", nickname="李雷")
    assert created.status_code == 201, created.json
    user_id = created.json["user_id"]
    tokens = login(client, "li.lei@example.cn").json
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] > 0
    me = client.get("/api/v1/users/me", headers=auth(tokens)).json
    assert me == {**me, "id": user_id, "email": "li.lei@example.cn", "nickname": "李雷",
                  "role": "customer"}
    assert "password" not in str(me) and "password_hash" not in me
    [event] = outbox_events(db, "UserRegistered")
    REGISTRY.validate_outgoing("UserRegistered", 1, event["data"])
    assert event["key"] == user_id


def test_issued_tokens_verify_against_the_published_jwks(client, db):
    register(client, phone="13800138000")
    tokens = login(client, "13800138000").json
    published = client.get("/api/v1/auth/jwks.json").json
    assert published == public_jwks(db) and published["keys"][0]["kty"] == "OKP"
    assert "d" not in published["keys"][0], "the private part is never published"
    identity = TokenVerifier(AuthSettings(), published).verify(tokens["access_token"])
    assert identity.roles == frozenset({"customer"})


@pytest.mark.parametrize("body", [
    {"password": PASSWORD},
    {"email": "not-an-email", "password": PASSWORD},
    {"phone": "12345", "password": PASSWORD},
    {"email": "a@b.cn", "password": "short"},
    {"email": "a@b.cn", "password": PASSWORD, "role": "admin"},
])
def test_bad_registrations_are_422_and_create_nothing(client, db, body):
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    with db.read() as session:
        assert session.scalars(select(User)).all() == []


def test_an_email_or_phone_registers_once(client):
    assert register(client, email="x@y.cn").status_code == 201
    again = register(client, email="X@y.cn")
    assert again.status_code == 409 and again.json["type"] == "urn:shop:problem:account-exists"


def test_wrong_passwords_and_unknown_logins_look_the_same(client):
    register(client, email="x@y.cn")
    wrong = login(client, "x@y.cn", "wrong password")
    unknown = login(client, "nobody@y.cn")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_five_failures_lock_the_account_even_for_the_right_password(client):
    register(client, email="x@y.cn")
    for _ in range(5):
        assert login(client, "x@y.cn", "wrong password").status_code == 401
    locked = login(client, "x@y.cn")
    assert locked.status_code == 423
    assert locked.json["type"] == "urn:shop:problem:account-locked"


def test_concurrent_failures_are_all_counted(app, client):
    register(client, email="x@y.cn")
    barrier = threading.Barrier(5)

    def fail() -> None:
        barrier.wait()
        login(app.test_client(), "x@y.cn", "wrong password")

    threads = [threading.Thread(target=fail) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert login(client, "x@y.cn").status_code == 423


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(client):
    register(client, email="x@y.cn")
    first = login(client, "x@y.cn").json
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json
    assert second["refresh_token"] != first["refresh_token"]
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json["type"] == "urn:shop:problem:invalid-refresh-token"
    # The thief's replay ended the whole login: the legitimate newer token is dead too.
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401


def test_logout_revokes_the_refresh_token(client):
    register(client, email="x@y.cn")
    tokens = login(client, "x@y.cn").json
    out = client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def test_a_user_cannot_raise_their_own_role_or_change_their_id(client):
    register(client, email="x@y.cn")
    tokens = login(client, "x@y.cn").json
    for change in ({"role": "admin"}, {"id": "usr_other"}, {"failed_logins": 0},
                   {"locked_until": None}):
        response = client.patch("/api/v1/users/me", json=change, headers=auth(tokens))
        assert response.status_code == 422, change
    renamed = client.patch("/api/v1/users/me", json={"nickname": "韩梅梅"}, headers=auth(tokens))
    assert renamed.json["nickname"] == "韩梅梅" and renamed.json["role"] == "customer"


ADDRESS = {"recipient": "李雷", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
           "district": "西湖区", "detail": "文三路 100 号"}


def test_address_book_keeps_exactly_one_default(client):
    register(client, email="x@y.cn")
    headers = auth(login(client, "x@y.cn").json)
    first = client.post("/api/v1/users/me/addresses", json=ADDRESS, headers=headers).json
    assert first["is_default"] is True, "the first address is the default"
    second = client.post("/api/v1/users/me/addresses", json={**ADDRESS, "is_default": True},
                         headers=headers).json
    book = client.get("/api/v1/users/me/addresses", headers=headers).json
    assert [(a["id"], a["is_default"]) for a in book] == [(second["id"], True),
                                                          (first["id"], False)]
    assert client.delete(f"/api/v1/users/me/addresses/{second['id']}",
                         headers=headers).status_code == 204
    book = client.get("/api/v1/users/me/addresses", headers=headers).json
    assert [(a["id"], a["is_default"]) for a in book] == [(first["id"], True)]


def test_one_user_cannot_touch_another_users_addresses(client):
    register(client, email="a@y.cn")
    register(client, email="b@y.cn")
    alice = auth(login(client, "a@y.cn").json)
    bob = auth(login(client, "b@y.cn").json)
    address = client.post("/api/v1/users/me/addresses", json=ADDRESS, headers=alice).json
    assert client.get(f"/api/v1/users/me/addresses/{address['id']}",
                      headers=alice).json == address
    assert client.get("/api/v1/users/me/addresses", headers=bob).json == []
    assert client.get(f"/api/v1/users/me/addresses/{address['id']}",
                      headers=bob).status_code == 404
    assert client.patch(f"/api/v1/users/me/addresses/{address['id']}", json={"city": "北京市"},
                        headers=bob).status_code == 404
    assert client.delete(f"/api/v1/users/me/addresses/{address['id']}",
                         headers=bob).status_code == 404
    assert client.get("/api/v1/users/me/addresses", headers=alice).json[0]["city"] == "杭州市"


def test_profile_needs_a_valid_token(client):
    assert client.get("/api/v1/users/me").status_code == 401
    assert client.get("/api/v1/users/me",
                      headers={"Authorization": "Bearer x.y.z"}).status_code == 401


def test_the_admin_account_is_created_once_and_has_the_admin_role(client, db):
    admin, created = ensure_admin(db, "admin@shop.local", "admin-password-1")
    again, created_again = ensure_admin(db, "admin@shop.local", "admin-password-1")
    assert (created, created_again) == (True, False) and again.id == admin.id
    tokens = login(client, "admin@shop.local", "admin-password-1").json
    identity = TokenVerifier(AuthSettings(), public_jwks(db)).verify(tokens["access_token"])
    assert identity.roles == frozenset({"customer", "admin"})


def test_ops_endpoints(client):
    assert_ops_endpoints(client)


def test_an_address_change_touches_only_the_fields_sent(client):
    register(client, email="x@y.cn")
    headers = auth(login(client, "x@y.cn").json)
    address = client.post("/api/v1/users/me/addresses", json={**ADDRESS, "postal_code": "310000"},
                          headers=headers).json
    changed = client.patch(f"/api/v1/users/me/addresses/{address['id']}",
                           json={"city": "宁波市"}, headers=headers).json
    assert changed == {**address, "city": "宁波市"}
    bad = client.patch(f"/api/v1/users/me/addresses/{address['id']}",
                       json={"user_id": "usr_other"}, headers=headers)
    assert bad.status_code == 422


def code_from_mailbox(db, tmp_path, target: str) -> str:
    """Deliver the notification outbox to a mailbox and read the newest code, as a user would."""
    import re

    from user.notifications import LocalMailbox, deliver_pending

    mailbox = LocalMailbox(tmp_path / "mailbox")
    deliver_pending(db, mailbox)
    return re.findall(r"验证码是 (\d{6})", mailbox.read(target))[-1]


def ask_code(client, target, purpose="register", channel="email"):
    return client.post("/api/v1/auth/verification-codes",
                       json={"channel": channel, "target": target, "purpose": purpose})


def test_a_code_from_the_mailbox_registers_once(client, db, tmp_path):
    sent = ask_code(client, "code@y.cn")
    assert sent.status_code == 202 and sent.json == {"expires_in": 600}
    code = code_from_mailbox(db, tmp_path, "code@y.cn")
    assert register(client, email="code@y.cn", code=code).status_code == 201
    reused = register(client, email="code2@y.cn", code=code)
    assert reused.status_code == 422 and reused.json["type"] == "urn:shop:problem:invalid-code"


def test_phone_and_code_sign_in(client, db, tmp_path):
    register(client, phone="13900139000")
    assert ask_code(client, "13900139000", "login", "sms").status_code == 202
    code = code_from_mailbox(db, tmp_path, "13900139000")
    tokens = client.post("/api/v1/auth/login", json={"phone": "13900139000", "code": code})
    assert tokens.status_code == 200
    assert client.get("/api/v1/users/me", headers=auth(tokens.json)).json["phone"] == \
        "13900139000"
    again = client.post("/api/v1/auth/login", json={"phone": "13900139000", "code": code})
    assert again.status_code == 422, "a code works once"


def test_five_wrong_guesses_kill_the_code(client, db, tmp_path):
    ask_code(client, "guess@y.cn")
    code = code_from_mailbox(db, tmp_path, "guess@y.cn")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert register(client, email="guess@y.cn", code=wrong).status_code == 422
    assert register(client, email="guess@y.cn", code=code).status_code == 422


def test_codes_are_rate_limited_per_address(client):
    assert ask_code(client, "rate@y.cn").status_code == 202
    again = ask_code(client, "rate@y.cn")
    assert again.status_code == 429
    assert again.json["type"] == "urn:shop:problem:too-many-codes"
    assert ask_code(client, "other@y.cn").status_code == 202, "per address"


@pytest.mark.parametrize("body", [
    {"channel": "sms", "target": "not-a-phone", "purpose": "login"},
    {"channel": "email", "target": "13800138000", "purpose": "register"},
    {"channel": "pigeon", "target": "x@y.cn", "purpose": "register"},
    {"channel": "email", "target": "x@y.cn", "purpose": "anything"},
])
def test_bad_code_requests_are_422(client, db, body):
    assert client.post("/api/v1/auth/verification-codes", json=body).status_code == 422


def test_login_needs_exactly_one_way_in(client):
    both = client.post("/api/v1/auth/login", json={"login": "x@y.cn", "password": "p" * 8,
                                                   "phone": "13800138000", "code": "123456"})
    neither = client.post("/api/v1/auth/login", json={"login": "x@y.cn"})
    assert both.status_code == neither.status_code == 422


def test_a_password_sign_in_with_a_stray_code_is_a_password_sign_in(client):
    """Found by the API contract test: a code without a phone number was taken for a
    sign-in by code, and the missing phone number was a 500."""
    register(client, email="x@y.cn")
    answer = client.post("/api/v1/auth/login",
                         json={"login": "x@y.cn", "password": PASSWORD, "code": "123456"})
    assert answer.status_code == 200, answer.json


def test_every_refused_sign_in_is_a_sign_in_failed_event_without_the_password(app, client, db):
    user_id = register(client, email="x@y.cn").json["user_id"]
    via_gateway = {"X-Forwarded-For": "203.0.113.7"}  # the test client is 127.0.0.1: trusted
    wrong = client.post("/api/v1/auth/login", headers=via_gateway,
                        json={"login": "X@y.cn", "password": "wrong password"})
    unknown = client.post("/api/v1/auth/login", json={"login": "nobody@y.cn",
                                                      "password": "secret-guess"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json
    assert login(client, "x@y.cn").status_code == 200  # a success says nothing
    failed = outbox_events(db, "SignInFailed")
    assert [e["data"]["reason"] for e in failed] == ["wrong_password", "unknown_account"]
    for event in failed:
        REGISTRY.validate_outgoing("SignInFailed", 1, event["data"])
        assert "wrong password" not in str(event) and "secret-guess" not in str(event)
        assert "nobody@y.cn" not in str(event)
    on_account, on_nobody = (e["data"] for e in failed)
    # One account's attempts share a digest whatever the case typed; never the login itself.
    assert on_account["account"] == accounts.sign_in_account("x@y.cn")
    assert on_account["user_id"] == user_id and on_account["client_address"] == "203.0.113.7"
    assert on_nobody["user_id"] is None and on_nobody["client_address"] == "127.0.0.1"
    assert on_nobody["account"] != on_account["account"]


def test_attempts_on_a_locked_account_are_still_refused_and_reported(client, db):
    register(client, email="x@y.cn")
    for _ in range(5):
        assert login(client, "x@y.cn", "wrong password").status_code == 401
    assert login(client, "x@y.cn").status_code == 423
    reasons = [e["data"]["reason"] for e in outbox_events(db, "SignInFailed")]
    assert reasons == ["wrong_password"] * 5 + ["account_locked"]
