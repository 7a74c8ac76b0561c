"""Risk flags across the stack: refused sign-ins through the gateway become the user
service's SignInFailed events, payments declined at the provider the payment service's
PaymentFailed events; the analytics worker counts them, and the admin sees the flag
through the gateway."""

from __future__ import annotations

import uuid

import requests

from e2e_steps import (
    KETTLE,
    events_of,
    pay_at_provider,
    payable_order,
    sign_up,
    start_payment,
    wait_for_sku,
)
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


FAILURES = 3  # RISK_PAYMENT_FAILURES' default (the e2e stack sets no RISK_*)


def test_repeated_payment_failures_raise_one_flag_per_threshold_reached(stack, admin, http):
    """Each failure the provider reports is a PaymentFailed the analytics worker counts
    for the buyer. Three within the window raise a flag with those events as evidence;
    the failures after it count towards a next flag only, so the fourth and fifth raise
    none and the sixth raises the second: two flags, not one per failure beyond three."""
    shopper = sign_up(stack, "declined", wallet=0)
    user_id = http.get(stack.url("/api/v1/users/me"), headers=shopper).json()["id"]
    wait_for_sku(stack, http, KETTLE)
    order = payable_order(stack, http, shopper, [{"sku": KETTLE, "quantity": 1}])
    # Every attempt is started while the order is payable (it is for PAYMENT_TIMEOUT_S);
    # a failure reported later still counts.
    payments = [start_payment(stack, http, shopper, order["id"], "alipay")
                for _ in range(2 * FAILURES)]
    for payment in payments:
        pay_at_provider(stack, http, payment, outcome="failure")
        # One at a time: the failures happen, and reach analytics, in this order.
        wait_until(lambda p=payment: http.get(stack.url(f"/api/v1/payments/{p['id']}"),
                                              headers=shopper).json()["status"] == "failed",
                   60, 0.2, f"{payment['id']} to fail")

    def flags(expected: int) -> list[dict] | None:
        response = http.get(stack.url(FLAGS), headers=admin,
                            params={"rule": "payment_failures", "user_id": user_id})
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        return items if len(items) >= expected else None

    raised = wait_until(lambda: flags(2), 60, 0.3, "the second payment-failures flag")
    assert len(raised) == 2, raised  # six failures are two flags, not one per failure
    newest, first = raised
    failed = [e["id"] for e in events_of(stack, "PaymentFailed", order["id"])]
    assert len(failed) == 2 * FAILURES
    for flag, events in ((first, failed[:FAILURES]), (newest, failed[FAILURES:])):
        assert (flag["rule"], flag["subject"], flag["user_id"]) == (
            "payment_failures", user_id, user_id)
        assert flag["count"] == flag["threshold"] == FAILURES
        assert flag["evidence"]["event_ids"] == events
        assert flag["evidence"]["signals"] == FAILURES
        assert flag["evidence"]["window_seconds"] == 600
        assert flag["resolved_at"] is None
    assert first["window_end"] <= newest["window_start"]
