"""The checkout saga across three services, in one process: real broker, real databases.

catalog (demo products) -> ProductUpdated -> order learns prices
order API -> marketing's quote (the real pricing centre, over HTTP) prices the order
order API -> OrderPlaced -> payment records what is owed
                         -> catalog reserves stock -> StockReserved -> payment makes it due
                            -> PaymentDue -> order awaits payment (so it can be paid at once)
payment API (wallet) -> PaymentConfirmed -> order becomes paid
order API cancel -> OrderCancelled -> catalog releases stock, payment refunds the wallet
"""

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest

from catalog.app import create_app as create_catalog_app
from catalog.definition import DEFINITION as CATALOG
from catalog.products import load_catalog
from event_contracts.topics import PARTITIONS, dead_letter_topic, event_topics
from marketing.app import create_app as create_marketing_app
from marketing.definition import DEFINITION as MARKETING
from order.app import create_app as create_order_app
from order.definition import DEFINITION as ORDER
from payment.app import create_app as create_payment_app
from payment.definition import DEFINITION as PAYMENT
from service_runtime.auth import SigningKey, jwks
from service_runtime.config import DeliverySettings
from service_runtime.consumer import EventConsumer
from service_runtime.ids import utcnow
from service_runtime.kafka import ensure_topics
from service_runtime.migrate import upgrade
from service_runtime.outbox import OutboxRelay
from service_runtime.testing.checks import migrated_app
from service_runtime.testing.plugin import bearer
from service_runtime.testing.processes import served, wait_until
from user.app import create_app as create_user_app
from user.definition import DEFINITION as USER
from user.models import Address, SigningKeyRow

# An address as the address book stores it (what checkout copies into an order).
HOME = {"recipient": "李雷", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
        "district": "西湖区", "detail": "文三路 100 号", "postal_code": "310000"}

CATEGORIES = [{"id": 1, "parent_id": None, "name": "厨房电器", "name_en": "Kitchen", "level": 1,
               "position": 0}]
PRODUCTS = [{"name": "Kettle", "brand": "测试", "category_id": 1, "description": "",
             "skus": [{"sku": "KETTLE", "price": {"amount": 9900, "currency": "CNY"},
                       "stock": 3}]}]
SERVICES = (CATALOG, ORDER, PAYMENT)


@contextmanager
def serving_address_books(database_url: str, signing_key: SigningKey,
                          addresses: Mapping[str, tuple[str, Mapping[str, str | None]]],
                          ) -> Iterator[str]:
    """The real user service on a fresh database, holding ``addresses`` ({address id:
    (user id, fields)}) and the key the tests' tokens are signed with; yields its URL."""
    with migrated_app(USER, create_user_app, database_url) as app:
        with app.extensions["db"].transaction() as session:
            session.add(SigningKeyRow(kid=signing_key.kid, private_pem=signing_key.private_pem(),
                                      created_at=utcnow()))
            for address_id, (user_id, fields) in addresses.items():
                session.add(Address(id=address_id, user_id=user_id, is_default=True,
                                    created_at=utcnow(), **fields))
        with served(app) as url:
            yield url


@pytest.fixture
def address_book(new_database, signing_key, monkeypatch):
    """Where checkout reads alice's address: the real user service."""
    with serving_address_books(new_database("user"), signing_key,
                               {"addr_1": ("alice", HOME)}) as url:
        monkeypatch.setenv("USER_SERVICE_URL", url)
        yield url


@pytest.fixture
def pricing_centre(new_database, signing_key, monkeypatch):
    """Where checkout prices orders: the real marketing service, with no offers."""
    with migrated_app(MARKETING, create_marketing_app, new_database("marketing"),
                      config={"AUTH_JWKS": jwks(signing_key)}) as app, served(app) as url:
        monkeypatch.setenv("MARKETING_SERVICE_URL", url)
        yield url


@pytest.fixture
def services(new_database, kafka_settings, signing_key, address_book, pricing_centre):
    keys = {"AUTH_JWKS": jwks(signing_key)}
    apps = {}
    for definition, create_app in ((CATALOG, create_catalog_app), (ORDER, create_order_app),
                                   (PAYMENT, create_payment_app)):
        url = new_database(definition.name)
        upgrade(definition, url)
        apps[definition.name] = create_app(database=url, config=keys)
    load_catalog(apps["catalog"].extensions["db"], CATEGORIES, PRODUCTS)
    ensure_topics(kafka_settings,
                  [*event_topics(), *(dead_letter_topic(d.name) for d in SERVICES)], PARTITIONS)

    stop = threading.Event()
    delivery = DeliverySettings(relay_poll_interval_ms=50)
    loops = []
    for definition in SERVICES:
        db = apps[definition.name].extensions["db"]
        loops.append(OutboxRelay(definition.name, db, kafka_settings, delivery).run)
        # As the worker takes them: some services' handlers are made from their settings.
        handlers = definition.handlers_for(definition.settings.from_env())
        loops.append(EventConsumer(definition.name, definition.name, db, handlers,
                                   kafka_settings, delivery).run)
    threads = [threading.Thread(target=loop, args=(stop,)) for loop in loops]
    for thread in threads:
        thread.start()
    yield {name: app.test_client() for name, app in apps.items()}, apps["payment"]
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    for app in apps.values():
        app.extensions["db"].dispose()


def test_an_order_is_reserved_paid_then_cancelled_and_refunded(services, signing_key):
    clients, payment_app = services
    orders, payments, catalog = clients["order"], clients["payment"], clients["catalog"]
    from payment.ledger import credit_opening_balance

    credit_opening_balance(payment_app.extensions["db"], "alice", 20000, "opening")
    alice = {**bearer(signing_key, "alice"), "X-Correlation-ID": "checkout-42"}
    body = {"address_id": "addr_1", "delivery_method": "standard",
            "lines": [{"sku": "KETTLE", "quantity": 2}]}

    def place():  # the order service learns the price from the catalog's ProductUpdated
        response = orders.post("/api/v1/orders", headers=alice, json=body)
        return response.json if response.status_code == 201 else None

    order = wait_until(place, 60, 0.2, "the order service to know the kettle's price")
    assert order["status"] == "pending"
    assert order["total"] == {"amount": 19800, "currency": "CNY"}
    assert order["shipping_address"] == HOME
    assert order["lines"][0]["product_id"] is not None

    def status():
        return orders.get(f"/api/v1/orders/{order['id']}", headers=alice).json["status"]

    def available():
        product = catalog.get(f"/api/v1/products/{order['lines'][0]['product_id']}").json
        return product["skus"][0]["available"]

    wait_until(lambda: status() == "awaiting_payment", 60, 0.02, message="PaymentDue")
    # The instant the order reads awaiting_payment it can be paid: no retry.
    paid = payments.post("/api/v1/payments", headers=alice,
                         json={"order_id": order["id"], "method": "balance"})
    assert paid.status_code == 201, paid.json
    assert paid.json["status"] == "succeeded"
    assert available() == 1
    wait_until(lambda: status() == "paid", 60, message="PaymentConfirmed reaches order")
    assert payments.get("/api/v1/wallet", headers=alice).json["balance"]["amount"] == 200

    cancelled = orders.post(f"/api/v1/orders/{order['id']}/cancel", headers=alice)
    assert cancelled.status_code == 200, cancelled.json
    wait_until(lambda: payments.get("/api/v1/wallet", headers=alice)
               .json["balance"]["amount"] == 20000, 60, message="the refund reaches the wallet")
    wait_until(lambda: available() == 3, 60, message="the stock is released")
    final = orders.get(f"/api/v1/orders/{order['id']}", headers=alice).json
    assert [entry["status"] for entry in final["timeline"]][:4] == [
        "pending", "awaiting_payment", "paid", "cancelled"]
    wait_until(lambda: orders.get(f"/api/v1/orders/{order['id']}", headers=alice)
               .json["refunded_amount"]["amount"] == 19800, 60, message="RefundIssued")


def test_an_order_reads_awaiting_payment_only_once_the_payment_service_takes_payment(
        services, signing_key, monkeypatch):
    """The payment service is slow to handle StockReserved (a lagging worker): the order
    still reads pending until the payment service has made it due and said so."""
    import payment.payables
    from payment.ledger import credit_opening_balance

    clients, payment_app = services
    orders, payments = clients["order"], clients["payment"]
    credit_opening_balance(payment_app.extensions["db"], "alice", 20000, "opening")
    real = payment.payables.stock_reserved

    def lagging(session, order_id):  # type: ignore[no-untyped-def]
        time.sleep(1.5)  # the catalog's StockReserved long reached the order service
        real(session, order_id)

    monkeypatch.setattr(payment.payables, "stock_reserved", lagging)
    alice = bearer(signing_key, "alice")
    body = {"address_id": "addr_1", "delivery_method": "express",
            "lines": [{"sku": "KETTLE", "quantity": 1}]}

    def place():
        response = orders.post("/api/v1/orders", headers=alice, json=body)
        return response.json if response.status_code == 201 else None

    order = wait_until(place, 60, 0.2, "the order service to know the kettle's price")
    wait_until(lambda: orders.get(f"/api/v1/orders/{order['id']}", headers=alice)
               .json["status"] != "pending", 60, 0.02, "the order to leave pending")
    paid = payments.post("/api/v1/payments", headers=alice,
                         json={"order_id": order["id"], "method": "balance"})
    assert paid.status_code == 201, paid.json
