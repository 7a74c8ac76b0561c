"""Provider payments end to end inside the service: the sandbox cashier, its signed
notifications delivered by the notifier loop, and the merchant's callback endpoint."""

import json
import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from event_contracts import REGISTRY
from payment import ledger, sandbox
from payment.models import Payable, Payment, Refund, SandboxNotification
from payment.providers import Trade, adapter
from payment.refunds import process_pending_refunds
from payment.settings import DEFAULTS
from service_runtime.ids import utcnow
from service_runtime.testing.plugin import outbox_events
from service_runtime.testing.processes import served

PROVIDERS = ["alipay", "wechat", "card"]
ACKS = {"alipay": (200, b"success"), "wechat": (204, b""), "card": (200, b'{"received": true}')}


def start_payment(client, headers, method, order_id="ord_1") -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/payments", json={"order_id": order_id, "method": method},
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def pay_at_cashier(client, payment: dict, outcome: str = "success") -> str:  # type: ignore[no-untyped-def]
    """What the buyer's browser does: follow next_action, submit the one form."""
    path = cashier_path(payment)
    page = client.get(path)
    assert page.status_code == 200
    assert page.content_type.startswith("text/html")
    html = page.get_data(as_text=True)
    assert len(re.findall(r"<form method=\"post\">", html)) == 1
    assert f'name="payment_id" value="{payment["id"]}"' in html
    submitted = client.post(path, data={"payment_id": payment["id"], "outcome": outcome})
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    return html


def cashier_path(payment: dict) -> str:
    """The path and query (with its signed token) of the payment's cashier link."""
    url = urlsplit(payment["next_action"]["url"])
    return f"{url.path}?{url.query}"


def via(client):  # type: ignore[no-untyped-def]
    """A notifier ``send`` that reaches the app through its test client."""

    def send(url: str, body: bytes, headers: dict) -> tuple[int, str]:
        response = client.post(urlsplit(url).path, data=body, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    return send


def signed(db, provider: str, payment_id: str, amount: int, succeeded: bool = True,
           at=None, currency: str = "CNY") -> tuple[bytes, dict]:  # type: ignore[no-untyped-def]
    """A notification signed with the sandbox's own keys, as the provider would send it."""
    trade = Trade(payment_id=payment_id, trade_no="T-test", succeeded=succeeded, amount=amount,
                  currency=currency, notify_id="ntf-test")
    return adapter(provider).build(trade, sandbox.signing_keys(db, provider), at or utcnow())


def callback(client, provider, body, headers):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/payments/callbacks/{provider}", data=body, headers=headers)


def status_of(db, payment_id: str) -> str:
    with db.read() as session:
        return session.get(Payment, payment_id).status


def payable_status(db, order_id: str = "ord_1") -> str:
    with db.read() as session:
        return session.get(Payable, order_id).status


@pytest.mark.parametrize("provider", PROVIDERS)
def test_paying_at_the_sandbox_cashier_confirms_the_payment(
        client, db, alice, admin, due_order, provider):
    due_order("ord_1", amount=14900)
    payment = start_payment(client, alice, provider)
    html = pay_at_cashier(client, payment)
    assert "149.00" in html and "ord_1" in html
    assert status_of(db, payment["id"]) == "pending", "nothing happens before the notification"

    assert sandbox.deliver_due(db, send=via(client)) == 1
    assert sandbox.deliver_due(db, send=via(client)) == 0, "acknowledged: not sent again"
    assert status_of(db, payment["id"]) == "succeeded"
    assert payable_status(db) == "paid"
    [confirmed] = outbox_events(db, "PaymentConfirmed")
    REGISTRY.validate_outgoing("PaymentConfirmed", 1, confirmed["data"])
    assert confirmed["data"]["payment_id"] == payment["id"]
    assert confirmed["data"]["method"] == provider
    with db.read() as session:
        assert ledger.trial_balance(session)[f"provider:{provider}"] == -14900

    [sent] = client.get(f"/api/v1/payments/sandbox/notifications?payment_id={payment['id']}",
                        headers=admin).json
    assert (sent["attempts"], sent["acknowledged"]) == (1, True)
    replay = callback(client, provider, sent["body"].encode(), sent["headers"])
    assert (replay.status_code, replay.data) == ACKS[provider], "a repeat is acknowledged"
    assert len(outbox_events(db, "PaymentConfirmed")) == 1, "... and changes nothing"
    with db.read() as session:
        assert ledger.trial_balance(session)[f"provider:{provider}"] == -14900


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_declined_payment_fails_and_the_order_stays_payable(
        client, db, alice, due_order, provider):
    due_order("ord_1")
    payment = start_payment(client, alice, provider)
    pay_at_cashier(client, payment, "failure")
    sandbox.deliver_due(db, send=via(client))
    assert status_of(db, payment["id"]) == "failed"
    [failed] = outbox_events(db, "PaymentFailed")
    REGISTRY.validate_outgoing("PaymentFailed", 1, failed["data"])
    assert failed["data"]["payment_id"] == payment["id"]
    assert payable_status(db) == "due"
    assert client.get(f"/api/v1/payments/{payment['id']}", headers=alice).json[
        "next_action"] is None
    retry = start_payment(client, alice, provider)
    pay_at_cashier(client, retry)
    sandbox.deliver_due(db, send=via(client))
    assert payable_status(db) == "paid"
    assert len(outbox_events(db, "PaymentConfirmed")) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_forged_unsigned_stale_and_wrong_amount_notifications_change_nothing(
        client, db, alice, due_order, provider):
    due_order("ord_1", amount=14900)
    payment = start_payment(client, alice, provider)
    module = adapter(provider)
    forger = sandbox.SigningKeys(
        private_key=sandbox.generate_rsa_pair()[0],
        secret="0123456789abcdef0123456789abcdef" if provider == "wechat" else "whsec_forged",
        serial=sandbox.signing_keys(db, provider).serial, app_id=DEFAULTS.app_id(provider))
    forged = module.build(Trade(payment["id"], "T-forged", True, 14900, "CNY", "n1"), forger,
                          utcnow())
    body, headers = signed(db, provider, payment["id"], 14900)
    unsigned = {k: v for k, v in headers.items()
                if k not in ("Wechatpay-Signature", "Card-Signature")}
    body_unsigned = re.sub(rb"&sign=[^&]*", b"", body) if provider == "alipay" else body
    stale = signed(db, provider, payment["id"], 14900, at=utcnow() - timedelta(seconds=1000))
    future = signed(db, provider, payment["id"], 14900, at=utcnow() + timedelta(hours=1))
    wrong_amount = signed(db, provider, payment["id"], 100)
    wrong_currency = signed(db, provider, payment["id"], 14900, currency="USD")

    cases = [(forged, "invalid-signature"), ((body_unsigned, unsigned), "invalid-signature"),
             (stale, "notification-refused"), (future, "notification-refused"),
             (wrong_amount, "notification-refused")]
    if provider != "alipay":  # Alipay amounts are yuan: no currency to get wrong
        cases.append((wrong_currency, "notification-refused"))
    for (bad_body, bad_headers), slug in cases:
        response = callback(client, provider, bad_body, bad_headers)
        assert response.status_code == 400, (slug, response.data)
        assert response.content_type == "application/problem+json"
        assert response.json["type"] == f"urn:shop:problem:{slug}"
    assert status_of(db, payment["id"]) == "pending"
    assert payable_status(db) == "due"
    assert [e["type"] for e in outbox_events(db)] == ["PaymentDue"]

    good = callback(client, provider, body, headers)
    assert (good.status_code, good.data) == ACKS[provider]
    assert len(outbox_events(db, "PaymentConfirmed")) == 1


def test_a_notification_for_an_unknown_payment_or_provider_is_404(client, db):
    body, headers = signed(db, "card", "pay_nope", 100)
    assert callback(client, "card", body, headers).status_code == 404
    assert callback(client, "paypal", body, headers).status_code == 404


def test_the_same_notification_delivered_twice_confirms_once(client, db, alice, due_order):
    due_order("ord_1")
    payment = start_payment(client, alice, "alipay")
    body, headers = signed(db, "alipay", payment["id"], 14900)
    first, second = (callback(client, "alipay", body, headers) for _ in range(2))
    assert (first.data, second.data) == (b"success", b"success")
    assert len(outbox_events(db, "PaymentConfirmed")) == 1


def test_a_late_success_for_a_cancelled_order_is_refunded(client, db, alice, apply, due_order):
    due_order("ord_1", amount=14900)
    payment = start_payment(client, alice, "wechat")
    pay_at_cashier(client, payment)
    apply("OrderCancelled", order_id="ord_1", user_id="alice", cancelled_by="payment_deadline")
    sandbox.deliver_due(db, send=via(client))
    assert status_of(db, payment["id"]) == "succeeded", "the money arrived: recorded"
    assert payable_status(db) == "void"
    assert outbox_events(db, "PaymentConfirmed") == []
    assert process_pending_refunds(db) == 1
    [issued] = outbox_events(db, "RefundIssued")
    REGISTRY.validate_outgoing("RefundIssued", 1, issued["data"])
    assert issued["data"]["amount"] == {"amount": 14900, "currency": "CNY"}
    assert (issued["data"]["method"], issued["data"]["destination"]) == ("wechat", "original")
    assert issued["data"]["duplicate_payment"] is True, "the cancelled order was never charged"
    with db.read() as session:
        balances = ledger.trial_balance(session)
    assert balances["provider:wechat"] == 0, "received and given back through WeChat"


def test_two_successful_attempts_charge_the_order_once(client, db, alice, due_order):
    due_order("ord_1", amount=14900)
    first = start_payment(client, alice, "alipay")
    second = start_payment(client, alice, "card")
    pay_at_cashier(client, first)
    pay_at_cashier(client, second)
    sandbox.deliver_due(db, send=via(client))
    assert {status_of(db, first["id"]), status_of(db, second["id"])} == {"succeeded"}
    [confirmed] = outbox_events(db, "PaymentConfirmed")
    assert confirmed["data"]["payment_id"] == first["id"]
    process_pending_refunds(db)
    [issued] = outbox_events(db, "RefundIssued")
    assert issued["data"]["method"] == "card"
    assert issued["data"]["fully_refunded"] is False, "the order itself stays paid"
    assert issued["data"]["duplicate_payment"] is True
    with db.read() as session:
        [refund] = session.scalars(select(Refund)).all()
        assert (refund.payment_id, refund.status) == (second["id"], "succeeded")
        assert session.get(Payable, "ord_1").refunded == 0


def test_the_notifier_retries_with_backoff_until_acknowledged(client, db, alice, due_order):
    due_order("ord_1")
    payment = start_payment(client, alice, "alipay")
    pay_at_cashier(client, payment)
    answers = iter([(None, "connection refused"), (500, "oops"), (200, "fail")])

    def flaky(url: str, body: bytes, headers: dict):  # type: ignore[no-untyped-def]
        return next(answers)

    at = utcnow()
    for _ in range(3):
        assert sandbox.deliver_due(db, send=flaky, at=at) == 1
        assert sandbox.deliver_due(db, send=flaky, at=at) == 0, "not before its backoff"
        with db.read() as session:
            row = session.scalars(select(SandboxNotification)).one()
        assert not row.acknowledged
        assert row.next_attempt_at > at
        at = row.next_attempt_at
    assert status_of(db, payment["id"]) == "pending"
    assert sandbox.deliver_due(db, send=via(client), at=at) == 1
    with db.read() as session:
        row = session.scalars(select(SandboxNotification)).one()
    assert (row.acknowledged, row.attempts) == (True, 4)
    assert status_of(db, payment["id"]) == "succeeded"


def test_the_notifier_loop_delivers_over_real_http(app, db, alice, due_order, reconfigure):
    with served(app) as url:
        reconfigure(notify_url=url)
        client = app.test_client()
        due_order("ord_1")
        payment = start_payment(client, alice, "card")
        pay_at_cashier(client, payment)
        stop = threading.Event()
        loop = threading.Thread(target=sandbox.notifier(app.extensions["settings"])(db),
                                args=(stop,))
        loop.start()
        done = threading.Event()

        def confirmed() -> bool:
            return status_of(db, payment["id"]) == "succeeded"

        for _ in range(200):  # wait for the outcome, up to 20 s; no timing is asserted
            if confirmed():
                break
            done.wait(0.1)
        stop.set()
        loop.join()
        assert confirmed()
        assert len(outbox_events(db, "PaymentConfirmed")) == 1


def test_the_cashier_refuses_what_it_cannot_pay(client, db, alice, due_order, reconfigure):
    due_order("ord_1")
    payment = start_payment(client, alice, "alipay")
    path = cashier_path(payment)
    token = urlsplit(path).query
    assert client.get(f"/api/v1/payments/sandbox/paypal/{payment['id']}?{token}"
                      ).status_code == 404
    bad = client.post(path, data={"payment_id": payment["id"], "outcome": "maybe"})
    assert bad.status_code == 422
    other = client.post(path, data={"payment_id": "pay_other", "outcome": "success"})
    assert other.status_code == 422
    assert client.post(path, data={"payment_id": payment["id"],
                                   "outcome": "success"}).status_code == 200
    again = client.post(path, data={"payment_id": payment["id"], "outcome": "success"})
    assert again.status_code == 409
    reconfigure(sandbox=False)
    assert client.get(path).status_code == 404


def test_the_sandbox_notifications_view_is_for_admins(client, alice):
    response = client.get("/api/v1/payments/sandbox/notifications", headers=alice)
    assert response.status_code == 403
    assert client.get("/api/v1/payments/sandbox/notifications").status_code == 401


def test_the_merchant_verifies_with_keys_from_env_when_given(client, db, alice, due_order,
                                                             reconfigure):
    due_order("ord_1")
    payment = start_payment(client, alice, "card")
    reconfigure(card_webhook_secret="whsec_from_env")
    body, headers = signed(db, "card", payment["id"], 14900)  # the sandbox's own secret
    assert callback(client, "card", body, headers).status_code == 400
    from payment.providers import card

    headers["Card-Signature"] = card.signature_header("whsec_from_env",
                                                      int(utcnow().timestamp()), body)
    assert callback(client, "card", body, headers).status_code == 200


@pytest.mark.parametrize(("body", "credit"), [({"package_id": "cny500"}, 52000),
                                              ({"amount": 12345}, 12345)])
def test_a_top_up_credits_the_wallet_when_the_provider_confirms(client, db, alice, body, credit):
    response = client.post("/api/v1/wallet/top-ups", json={**body, "method": "alipay"},
                           headers=alice)
    assert response.status_code == 201, response.json
    top_up = response.json
    assert (top_up["kind"], top_up["status"], top_up["order_id"]) == ("top_up", "pending", None)
    assert top_up["credit"] == {"amount": credit, "currency": "CNY"}
    pay_at_cashier(client, top_up)
    sandbox.deliver_due(db, send=via(client))
    sandbox.deliver_due(db, send=via(client))
    with db.read() as session:
        assert ledger.wallet_balance(session, "alice") == credit
    assert outbox_events(db) == [], "a top-up is no order event"


@pytest.mark.parametrize("body", [
    {"package_id": "cny500", "method": "balance"},
    {"package_id": "cny500", "amount": 100, "method": "alipay"},
    {"method": "alipay"},
    {"package_id": "nope", "method": "alipay"},
    {"amount": 0, "method": "card"},
    {"amount": "100", "method": "card"},
])
def test_bad_top_ups_are_422(client, alice, body):
    response = client.post("/api/v1/wallet/top-ups", json=body, headers=alice)
    assert response.status_code == 422, response.json


def test_callback_bodies_that_are_not_notifications_are_400(client, db):
    for provider, body in [("alipay", b"\xff\xfe"), ("wechat", b"{}"), ("card", b"nope")]:
        response = callback(client, provider, body, {"Content-Type": "text/plain"})
        assert response.status_code == 400
        assert json.loads(response.data)["status"] == 400
