"""A provider refund that keeps failing backs off, is parked after its last attempt and is
never tried again until an operator retries it."""

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from payment import sandbox
from payment.definition import retry_parked_refunds as retry_parked_refunds_command
from payment.models import Refund
from payment.providers import Trade, adapter
from payment.refunds import REFUND_ATTEMPTS, process_pending_refunds, retry_parked_refunds
from service_runtime.ids import utcnow
from service_runtime.testing.plugin import outbox_events


def pay_with_provider(client, db, headers, provider) -> None:  # type: ignore[no-untyped-def]
    payment = client.post("/api/v1/payments", json={"order_id": "ord_1", "method": provider},
                          headers=headers).json
    trade = Trade(payment["id"], "T1", True, payment["amount"]["amount"], "CNY", "n1")
    body, sent = adapter(provider).build(trade, sandbox.signing_keys(db, provider), utcnow())
    assert client.post(f"/api/v1/payments/callbacks/{provider}", data=body,
                       headers=sent).status_code in (200, 204)


def the_refund(db) -> Refund:
    with db.read() as session:
        return session.scalars(select(Refund)).one()


def test_a_refund_failing_every_attempt_is_parked_and_not_retried(
        client, db, alice, apply, due_order, monkeypatch):
    due_order("ord_1", amount=14900)
    pay_with_provider(client, db, alice, "alipay")
    apply("ReturnApproved", order_id="ord_1", return_id="ret_1", type="refund_only",
          refund={"amount": 4900, "currency": "CNY"})
    calls: list[str] = []
    submit = sandbox.submit_refund

    def provider_down(db_, method, refund_id, payment_id, amount):  # type: ignore[no-untyped-def]
        calls.append(refund_id)
        raise RuntimeError("the provider's refund API is down")

    monkeypatch.setattr(sandbox, "submit_refund", provider_down)
    at = utcnow()
    for attempt in range(1, REFUND_ATTEMPTS + 1):
        assert process_pending_refunds(db, at) == 0
        assert process_pending_refunds(db, at) == 0, "not again before its backoff"
        refund = the_refund(db)
        assert (len(calls), refund.attempts) == (attempt, attempt)
        if attempt < REFUND_ATTEMPTS:
            assert refund.parked_at is None and refund.next_attempt_at > at
            at = refund.next_attempt_at
    refund = the_refund(db)
    assert refund.parked_at is not None and refund.status == "pending"
    assert process_pending_refunds(db, at + timedelta(days=30)) == 0
    assert len(calls) == REFUND_ATTEMPTS, "a parked refund is not retried"
    assert outbox_events(db, "RefundIssued") == []

    monkeypatch.setattr(sandbox, "submit_refund", submit)  # the provider is back; the
    # operator retries what was parked
    monkeypatch.setenv("PAYMENT_DATABASE_URL", db.url)
    done = CliRunner().invoke(retry_parked_refunds_command, [])
    assert done.exit_code == 0, done.output
    assert "1 parked refund(s)" in done.output
    assert retry_parked_refunds(db) == 0, "already given a fresh set of attempts"
    assert process_pending_refunds(db) == 1
    refund = the_refund(db)
    assert (refund.status, refund.parked_at) == ("succeeded", None)
    assert len(outbox_events(db, "RefundIssued")) == 1
