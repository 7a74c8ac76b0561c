"""The first slice across two services, in one process: real broker, real databases.

order API -> order outbox -> relay -> OrderPlaced on Kafka -> payment consumer
payment API -> payment outbox -> relay -> PaymentConfirmed on Kafka -> order consumer
"""

import threading

import pytest

from event_contracts.topics import PARTITIONS, dead_letter_topic
from order.app import create_app as create_order_app
from order.definition import DEFINITION as ORDER
from order.domain import Price
from order.service import load_prices
from payment.app import create_app as create_payment_app
from payment.definition import DEFINITION as PAYMENT
from payment.models import Payable
from payment.service import credit_wallet
from service_runtime.auth import jwks
from service_runtime.config import DeliverySettings
from service_runtime.consumer import EventConsumer
from service_runtime.kafka import ensure_topics
from service_runtime.migrate import upgrade
from service_runtime.outbox import OutboxRelay
from service_runtime.testing.plugin import bearer
from service_runtime.testing.processes import wait_until


@pytest.fixture
def services(new_database, kafka_settings, signing_key):
    order_url, payment_url = new_database("order"), new_database("payment")
    upgrade(ORDER, order_url)
    upgrade(PAYMENT, payment_url)
    keys = {"AUTH_JWKS": jwks(signing_key)}
    order_app = create_order_app(database=order_url, config=keys)
    payment_app = create_payment_app(database=payment_url, config=keys)
    load_prices(order_app.extensions["db"], {"KETTLE": Price(9900, "CNY")})
    credit_wallet(payment_app.extensions["db"], "alice", 20000, "opening")
    ensure_topics(kafka_settings, ["OrderPlaced", "PaymentConfirmed",
                                   dead_letter_topic("order"), dead_letter_topic("payment")],
                  PARTITIONS)

    stop = threading.Event()
    delivery = DeliverySettings(relay_poll_interval_ms=50)
    loops = []
    for definition, app in ((ORDER, order_app), (PAYMENT, payment_app)):
        db = app.extensions["db"]
        loops.append(OutboxRelay(definition.name, db, kafka_settings, delivery).run)
        loops.append(EventConsumer(definition.name, definition.name, db, definition.handlers,
                                   kafka_settings, delivery).run)
    threads = [threading.Thread(target=loop, args=(stop,)) for loop in loops]
    for thread in threads:
        thread.start()
    yield order_app.test_client(), payment_app.test_client(), payment_app.extensions["db"]
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    order_app.extensions["db"].dispose()
    payment_app.extensions["db"].dispose()


def test_an_order_placed_and_paid_becomes_paid(services, signing_key):
    orders, payments, payment_db = services
    ALICE = {**bearer(signing_key, "alice"), "X-Correlation-ID": "checkout-42"}
    order = orders.post("/api/v1/orders", headers=ALICE, json={
        "address_id": "addr_1", "delivery_method": "standard",
        "lines": [{"sku": "KETTLE", "quantity": 2}]}).json
    assert order["status"] == "awaiting_payment"

    def payable():
        with payment_db.transaction() as session:
            return session.get(Payable, order["id"])

    owed = wait_until(payable, 60, message="OrderPlaced reaches payment")
    assert (owed.amount, owed.user_id, owed.status) == (19800, "alice", "due")

    paid = payments.post("/api/v1/payments", headers=ALICE,
                         json={"order_id": order["id"], "method": "balance"})
    assert paid.status_code == 201, paid.json

    def status():
        return orders.get(f"/api/v1/orders/{order['id']}", headers=ALICE).json["status"]

    wait_until(lambda: status() == "paid", 60, message="PaymentConfirmed reaches order")
    final = orders.get(f"/api/v1/orders/{order['id']}", headers=ALICE).json
    assert [entry["status"] for entry in final["timeline"]] == ["awaiting_payment", "paid"]
    assert payments.get("/api/v1/wallet", headers=ALICE).json["balance"]["amount"] == 200
