"""Paying through a provider's sandbox as the provider would: an intent, then its signed
notification."""

from payment import sandbox
from payment.providers import Trade, adapter
from service_runtime.ids import utcnow


def intent(client, headers, provider, order_id):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/payments", json={"order_id": order_id, "method": provider},
                       headers=headers).json


def succeed(client, db, payment):  # type: ignore[no-untyped-def]
    provider = payment["method"]
    trade = Trade(payment["id"], f"T-{payment['id']}", True, payment["amount"]["amount"], "CNY",
                  payment["id"])
    body, sent = adapter(provider).build(trade, sandbox.signing_keys(db, provider), utcnow())
    client.post(f"/api/v1/payments/callbacks/{provider}", data=body, headers=sent)
    return payment
