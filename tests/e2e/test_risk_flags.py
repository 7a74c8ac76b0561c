"""Risk flags across the stack: refused sign-ins through the gateway become the user
service's SignInFailed events, the analytics worker counts them, and the admin sees the
flag through the gateway."""

from __future__ import annotations

import uuid

import requests

from service_runtime.testing.processes import wait_until

FLAGS = "/api/v1/admin/risk/flags"
GUESSES = 10  # RISK_ACCOUNT_SIGN_IN_FAILURES' default


def test_password_guessing_on_one_account_is_flagged_for_the_admin(stack, admin, http):
    email = f"victim-{uuid.uuid4().hex[:8]}@e2e.test"
    registered = http.post(stack.url("/api/v1/auth/register"),
                           json={"email": email, "password": "a real password 1",
                                 "nickname": "victim"})
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["user_id"]
    answers = [http.post(stack.url("/api/v1/auth/login"),
                         json={"login": email, "password": f"guess {n}"}).status_code
               for n in range(GUESSES)]
    assert answers == [401] * 5 + [423] * (GUESSES - 5)  # the lock is unchanged

    def flagged() -> list[dict] | None:
        response = http.get(stack.url(f"{FLAGS}?rule=account_sign_in_failures"
                                      f"&user_id={user_id}"), headers=admin)
        assert response.status_code == 200, response.text
        return response.json()["items"] or None

    (flag,) = wait_until(flagged, 60, 0.3, "the sign-in flag")
    assert flag["count"] == GUESSES and len(flag["evidence"]["event_ids"]) == GUESSES
    assert requests.get(stack.url(FLAGS)).status_code == 401
