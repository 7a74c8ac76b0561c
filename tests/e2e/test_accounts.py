"""Accounts through the gateway: sign-up, sign-in, token refresh, and what is refused."""

from __future__ import annotations

import uuid

PASSWORD = "another-password-9"


def test_sign_up_sign_in_refresh_and_sign_out(stack, http):
    email = f"meimei-{uuid.uuid4().hex[:6]}@e2e.test"
    assert http.post(stack.url("/api/v1/auth/register"), json={
        "email": email, "password": PASSWORD, "nickname": "韩梅梅"}).status_code == 201
    tokens = http.post(stack.url("/api/v1/auth/login"),
                       json={"login": email, "password": PASSWORD}).json()
    me = http.get(stack.url("/api/v1/users/me"),
                  headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["nickname"] == "韩梅梅"

    renewed = http.post(stack.url("/api/v1/auth/refresh"),
                        json={"refresh_token": tokens["refresh_token"]})
    assert renewed.status_code == 200
    renewed = renewed.json()
    # The payment service verifies the renewed token with the published keys too.
    wallet = http.get(stack.url("/api/v1/wallet"),
                      headers={"Authorization": f"Bearer {renewed['access_token']}"})
    assert wallet.status_code == 200 and wallet.json()["balance"]["amount"] == 0

    replayed = http.post(stack.url("/api/v1/auth/refresh"),
                         json={"refresh_token": tokens["refresh_token"]})
    assert replayed.status_code == 401
    assert http.post(stack.url("/api/v1/auth/logout"),
                     json={"refresh_token": renewed["refresh_token"]}).status_code == 204


def test_forged_and_missing_tokens_are_refused(stack, http):
    forged = http.get(stack.url("/api/v1/orders"),
                      headers={"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."})
    assert forged.status_code == 401
    assert forged.headers["Content-Type"] == "application/problem+json"
    assert http.get(stack.url("/api/v1/orders")).status_code == 401
    # A bare identity header is no identity at all.
    assert http.get(stack.url("/api/v1/orders"), headers={"X-User-Id": "x"}).status_code == 401


def test_one_user_cannot_read_or_change_another_users_addresses(stack, http, alice, bob):
    address = {"recipient": "李雷", "phone": "13800138000", "province": "浙江省",
               "city": "杭州市", "district": "西湖区", "detail": "文三路 100 号"}
    created = http.post(stack.url("/api/v1/users/me/addresses"), json=address, headers=alice)
    assert created.status_code == 201
    address_id = created.json()["id"]
    assert address_id not in [a["id"] for a in http.get(stack.url("/api/v1/users/me/addresses"),
                                                        headers=bob).json()]
    assert http.get(stack.url(f"/api/v1/users/me/addresses/{address_id}"),
                    headers=bob).status_code == 404
    assert http.delete(stack.url(f"/api/v1/users/me/addresses/{address_id}"),
                       headers=bob).status_code == 404
    assert http.patch(stack.url("/api/v1/users/me"), json={"role": "admin"},
                      headers=alice).status_code == 422


def test_a_code_sent_to_the_mailbox_registers_and_signs_in(stack, http):
    import re

    from service_runtime.testing.processes import wait_until
    from user.notifications import LocalMailbox

    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    mailbox = LocalMailbox(stack.log_dir / "data" / "mailbox")

    def newest_code() -> str | None:
        codes = re.findall(r"验证码是 (\d{6})", mailbox.read(phone))
        return codes[-1] if codes else None

    sent = http.post(stack.url("/api/v1/auth/verification-codes"),
                     json={"channel": "sms", "target": phone, "purpose": "register"})
    assert sent.status_code == 202
    code = wait_until(newest_code, 30, 0.2, "the user worker to deliver the code")
    assert http.post(stack.url("/api/v1/auth/register"), json={
        "phone": phone, "password": PASSWORD, "code": code}).status_code == 201
