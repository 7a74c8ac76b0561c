"""The payment service's counters change exactly when a payment or refund does: once per
committed change, never for a replayed request, a repeated notification, a redelivered
event or a rolled-back transaction."""

from __future__ import annotations

from prometheus_client import REGISTRY

from payment import ledger, metrics, sandbox
from payment.providers import Trade, adapter
from payment.refunds import process_pending_refunds
from service_runtime.ids import utcnow


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def signed(db, provider: str, payment_id: str, amount: int,
           succeeded: bool = True) -> tuple[bytes, dict]:  # type: ignore[no-untyped-def]
    """A notification signed with the sandbox's own keys, as the provider would send it."""
    trade = Trade(payment_id=payment_id, trade_no="T-test", succeeded=succeeded, amount=amount,
                  currency="CNY", notify_id="ntf-test")
    return adapter(provider).build(trade, sandbox.signing_keys(db, provider), utcnow())


def callback(client, provider, body, headers):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/payments/callbacks/{provider}", data=body, headers=headers)


def fund(db, user: str, amount: int) -> None:
    ledger.credit_opening_balance(db, user, amount, "opening")


def pay_with_balance(client, headers) -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "balance"},
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json


class Delta:
    def __init__(self, *samples: tuple[str, dict]) -> None:
        self.samples = samples
        self.before = [sample(name, **labels) for name, labels in samples]

    def __call__(self) -> list[float]:
        return [sample(name, **labels) - before
                for (name, labels), before in zip(self.samples, self.before, strict=True)]


def attempts(method: str, provider: str, kind: str = "order") -> tuple[str, dict]:
    return "payment_attempts_total", {"kind": kind, "method": method, "provider": provider}


def outcomes(method: str, provider: str, outcome: str) -> tuple[str, dict]:
    return "payment_outcomes_total", {"kind": "order", "method": method, "provider": provider,
                                      "outcome": outcome}


def test_the_provider_of_each_method():
    assert [metrics.provider_of(m) for m in ("alipay", "wechat", "card", "balance", "cod")] == \
        ["alipay", "wechat", "card", "wallet", "courier"]


def test_a_provider_attempt_counts_once_and_its_outcome_once(client, db, alice, due_order):
    due_order("ord_1", amount=14900)
    delta = Delta(attempts("alipay", "alipay"), outcomes("alipay", "alipay", "succeeded"),
                  outcomes("alipay", "alipay", "failed"))
    headers = {**alice, "Idempotency-Key": "pay-metrics"}
    body = {"order_id": "ord_1", "method": "alipay"}
    payment = client.post("/api/v1/payments", json=body, headers=headers).json
    replay = client.post("/api/v1/payments", json=body, headers=headers)
    assert replay.json["id"] == payment["id"]
    assert delta() == [1, 0, 0]  # the replay made nothing, counted nothing
    notification = signed(db, "alipay", payment["id"], 14900)
    assert callback(client, "alipay", *notification).status_code == 200
    assert callback(client, "alipay", *notification).status_code == 200  # repeated
    assert delta() == [1, 1, 0]


def test_a_declined_payment_counts_failed_once(client, db, alice, due_order):
    due_order("ord_1", amount=14900)
    delta = Delta(outcomes("card", "card", "failed"))
    payment = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "card"},
                          headers=alice).json
    declined = signed(db, "card", payment["id"], 14900, succeeded=False)
    for _ in range(2):
        assert callback(client, "card", *declined).status_code == 200
    assert delta() == [1]


def test_a_refused_notification_counts_nothing(client, db, alice, due_order):
    due_order("ord_1", amount=14900)
    payment = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "wechat"},
                          headers=alice).json
    delta = Delta(outcomes("wechat", "wechat", "succeeded"))
    wrong_amount = signed(db, "wechat", payment["id"], 100)  # refused inside the transaction
    assert callback(client, "wechat", *wrong_amount).status_code == 400
    assert delta() == [0]


def test_a_rolled_back_payment_counts_nothing(client, db, alice, due_order, monkeypatch):
    fund(db, "alice", 50000)
    due_order("ord_1", amount=14900)
    delta = Delta(attempts("balance", "wallet"), outcomes("balance", "wallet", "succeeded"))
    from payment import events

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is away")

    monkeypatch.setattr(events, "payment_confirmed", broken)
    failed = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": "balance"},
                         headers=alice)
    assert failed.status_code == 500  # the transaction rolled back
    assert delta() == [0, 0]
    monkeypatch.undo()
    pay_with_balance(client, alice)
    assert delta() == [1, 1]


def test_refunds_count_once_with_their_amount(client, db, alice, apply, due_order):
    fund(db, "alice", 50000)
    due_order("ord_1", amount=14900)
    pay_with_balance(client, alice)
    delta = Delta(("refunds_total", {"method": "balance", "destination": "original"}),
                  ("refunded_fen_total", {"currency": "CNY", "method": "balance"}))
    apply("OrderCancelled", order_id="ord_1", user_id="alice", cancelled_by="buyer")
    apply("OrderCancelled", order_id="ord_1", user_id="alice")  # delivered twice (new id)
    process_pending_refunds(db)
    assert delta() == [1, 14900]
