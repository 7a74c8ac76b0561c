"""Steps of the shopping journey as a client app (or a merchant's console) takes them,
through the gateway only."""

from __future__ import annotations

import json
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

from service_runtime.testing.kafka_tools import read_topic
from service_runtime.testing.processes import wait_until

KETTLE = "KETTLE-MI-1.7L-WHITE"
MUG = "MUG-CERAMIC-350ML"
PASSWORD = "e2e-password-1"
# The e2e stack's admin (conftest makes the account).
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@e2e.test", "e2e-admin-password-1"
# Short enough for a test to watch an unpaid order expire, long enough to pay the others.
PAYMENT_TIMEOUT_S = 30
# Every shopper's default address.
HOME = {"recipient": "韩梅梅", "phone": "13900139000", "province": "上海市", "city": "上海市",
        "district": "徐汇区", "detail": "漕溪北路 88 号", "postal_code": "200030"}


def events_of(stack, topic: str, order_id: str) -> list[dict]:
    """The events of one order on ``topic``, oldest first (read from the broker)."""
    return [e for e in (json.loads(r.value) for r in read_topic(stack.kafka, topic))
            if e["data"].get("order_id") == order_id]


def sign_up(stack, name: str, wallet: int = 100_000) -> dict[str, str]:
    """A new customer, signed up and signed in through the gateway, with ``HOME`` as the
    default address and a funded wallet."""
    email = f"{name}-{uuid.uuid4().hex[:8]}@e2e.test"
    registered = requests.post(stack.url("/api/v1/auth/register"),
                               json={"email": email, "password": PASSWORD, "nickname": name})
    assert registered.status_code == 201, registered.text
    tokens = requests.post(stack.url("/api/v1/auth/login"),
                           json={"login": email, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    address = requests.post(stack.url("/api/v1/users/me/addresses"), json=HOME, headers=headers)
    assert address.status_code == 201, address.text
    if wallet:
        stack.cli("payment", "credit-wallet", registered.json()["user_id"], str(wallet))
    return headers


def default_address_id(stack, http: requests.Session, headers: dict) -> str:
    """What a client app preselects at checkout: the default address of the book."""
    book = http.get(stack.url("/api/v1/users/me/addresses"), headers=headers)
    assert book.status_code == 200, book.text
    return next(a["id"] for a in book.json() if a["is_default"])


def sign_in(stack, login: str, password: str) -> dict[str, str]:
    tokens = requests.post(stack.url("/api/v1/auth/login"),
                           json={"login": login, "password": password})
    assert tokens.status_code == 200, tokens.text
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def order_of(stack, http: requests.Session, order_id: str, headers: dict) -> dict:
    response = http.get(stack.url(f"/api/v1/orders/{order_id}"), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def wait_for_status(stack, http: requests.Session, order_id: str, headers: dict,
                    *statuses: str, timeout: float = 60, interval: float = 0.2) -> dict:
    """The order once it has one of ``statuses`` (looked at every ``interval`` seconds)."""
    def reached() -> dict | None:
        order = order_of(stack, http, order_id, headers)
        return order if order["status"] in statuses else None

    return wait_until(reached, timeout, interval, f"order {order_id} to become {statuses}")


def place_order(stack, http: requests.Session, headers: dict, lines: list[dict] | None = None,
                delivery_method: str = "express", key: str | None = None) -> dict:
    body: dict = {"address_id": default_address_id(stack, http, headers),
                  "delivery_method": delivery_method}
    if lines is not None:
        body["lines"] = lines
    response = http.post(stack.url("/api/v1/orders"), json=body,
                         headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return response.json()


def payable_order(stack, http: requests.Session, headers: dict,
                  lines: list[dict] | None = None, **kwargs) -> dict:
    """A placed order whose stock is reserved and whose payment is due: it awaits payment."""
    order = place_order(stack, http, headers, lines, **kwargs)
    assert order["status"] == "pending"
    return wait_for_status(stack, http, order["id"], headers, "awaiting_payment")


def wait_for_sku(stack, http: requests.Session, sku: str) -> None:
    """The cart learns SKUs from the catalog's events; wait until it knows this one."""
    def known() -> bool:
        guest = http.post(stack.url("/api/v1/cart/items"), json={"sku": sku, "quantity": 1})
        return guest.status_code in (200, 201)

    wait_until(known, 90, 0.5, f"the cart to know {sku}")


class FormParser(HTMLParser):
    """The one ``<form>`` of a provider's cashier page: its action and fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action") or "",
                               "method": (attributes.get("method") or "get").lower(),
                               "fields": {}})
        elif tag in ("input", "select", "button") and self.forms and attributes.get("name"):
            if tag == "input" and attributes.get("type") in ("radio", "checkbox") \
                    and "checked" not in attributes:
                return
            self.forms[-1]["fields"].setdefault(attributes["name"], attributes.get("value") or "")


def pay_at_provider(stack, http: requests.Session, payment: dict, outcome: str = "success") -> str:
    """Follow ``next_action.url`` to the provider's page and submit its one form, as a
    shopper's browser would. Returns the page the provider answers with."""
    url = payment["next_action"]["url"]
    page = http.get(url)
    assert page.status_code == 200, page.text
    assert "text/html" in page.headers["Content-Type"]
    parser = FormParser()
    parser.feed(page.text)
    assert len(parser.forms) == 1, f"one form on the provider's page: {page.text[:500]}"
    form = parser.forms[0]
    assert form["method"] == "post"
    submitted = http.post(urljoin(url, form["action"] or url),
                          data={**form["fields"], "outcome": outcome})
    assert submitted.status_code in (200, 303), submitted.text
    return submitted.text


def start_payment(stack, http: requests.Session, headers: dict, order_id: str,
                  method: str) -> dict:
    """Pay an order that reads ``awaiting_payment``, once: the order shows that status only
    when the payment service takes payment (``PaymentDue``), so there is nothing to retry."""
    response = http.post(stack.url("/api/v1/payments"),
                         json={"order_id": order_id, "method": method},
                         headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return response.json()


def request_return(stack, http: requests.Session, headers: dict, order_id: str,
                   return_type: str, lines: list[dict], reason: str) -> dict:
    """Ask for a return once after-sales knows the order (it learns it from events)."""
    def attempt() -> requests.Response | None:
        response = http.post(stack.url("/api/v1/returns"), headers=headers, json={
            "order_id": order_id, "type": return_type, "lines": lines, "reason": reason})
        return response if response.status_code == 201 else None

    return wait_until(attempt, 60, 0.3, f"after-sales to take a return of {order_id}").json()


def wallet_balance(stack, http: requests.Session, headers: dict) -> int:
    return http.get(stack.url("/api/v1/wallet"), headers=headers).json()["balance"]["amount"]


def shipment_of(stack, http: requests.Session, admin: dict, order_id: str) -> dict:
    """The order's shipment, as the merchant's console finds it (it appears once paid)."""
    def found() -> dict | None:
        response = http.get(stack.url("/api/v1/admin/shipments"), params={"order_id": order_id},
                            headers=admin)
        assert response.status_code == 200, response.text
        items = [s for s in response.json()["items"] if not s.get("return_id")]
        return items[0] if items else None

    return wait_until(found, 60, 0.2, f"a shipment for {order_id}")


def carrier_callback(stack, http: requests.Session, carrier: str, secret: str,
                     tracking_number: str, *statuses: str) -> requests.Response:
    """A carrier's signed tracking notification (HMAC-SHA256 of "timestamp.body")."""
    from logistics.carriers import sign

    body = json.dumps({"tracking_number": tracking_number, "events": [
        {"event_id": uuid.uuid4().hex, "status": status, "at": _now_iso(),
         "location": "上海 Shanghai", "description": status}
        for status in statuses]}).encode()
    timestamp = str(int(time.time()))
    return http.post(stack.url(f"/api/v1/logistics/callbacks/{carrier}"), data=body, headers={
        "Content-Type": "application/json", "X-Carrier-Timestamp": timestamp,
        "X-Carrier-Signature": sign(secret, timestamp, body)})


def ship_and_deliver(stack, http: requests.Session, admin: dict, order_id: str,
                     tracking_number: str, carrier: str = "sf") -> dict:
    """The merchant ships the order's parcel and the carrier reports it delivered."""
    shipment = shipment_of(stack, http, admin, order_id)
    shipped = http.post(stack.url(f"/api/v1/admin/shipments/{shipment['id']}/ship"),
                        headers=admin, json={"carrier": carrier,
                                             "tracking_number": tracking_number})
    assert shipped.status_code == 200, shipped.text
    delivered = carrier_callback(stack, http, carrier, f"sandbox-secret-{carrier}",
                                 tracking_number, "in_transit", "delivered")
    assert delivered.status_code == 200, delivered.text
    return shipped.json()


def _now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()
