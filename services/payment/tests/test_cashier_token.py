"""The sandbox cashier is bound to its payment: only the signed, unexpired token of the
payment's own ``next_action.url`` opens its page or submits its form; anything else is a
4xx problem and changes nothing."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from payment import sandbox
from payment.cashier_links import cashier_token
from payment.models import Payment, SandboxNotification
from service_runtime.errors import PROBLEM_JSON
from service_runtime.ids import utcnow


def start(client, headers, method: str = "alipay", order_id: str = "ord_1") -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/payments", json={"order_id": order_id, "method": method},
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def cashier(payment: dict) -> tuple[str, str]:
    """(path, token) of the payment's cashier link."""
    url = urlsplit(payment["next_action"]["url"])
    [token] = parse_qs(url.query)["token"]
    return url.path, token


def form(payment: dict, outcome: str = "failure") -> dict:
    return {"payment_id": payment["id"], "outcome": outcome}


def assert_refused(response, slug: str = "cashier-token-invalid") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 403, response.get_data(as_text=True)
    assert response.content_type == PROBLEM_JSON
    assert response.json["type"] == f"urn:shop:problem:{slug}"


def unchanged(db, *payments: dict) -> bool:  # type: ignore[no-untyped-def]
    with db.read() as session:
        statuses = {session.get(Payment, p["id"]).status for p in payments}
        queued = session.scalar(select(func.count()).select_from(SandboxNotification))
    return statuses == {"pending"} and queued == 0


def via(client):  # type: ignore[no-untyped-def]
    """The sandbox's notifications, delivered to the app through its test client."""

    def send(url: str, body: bytes, headers: dict) -> tuple[int, str]:
        response = client.post(urlsplit(url).path, data=body, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    return send


def test_the_link_s_own_token_opens_the_cashier_and_its_form(client, db, alice, due_order):
    due_order("ord_1")
    payment = start(client, alice)
    path, token = cashier(payment)
    assert client.get(path, query_string={"token": token}).status_code == 200
    submitted = client.post(path, query_string={"token": token}, data=form(payment, "success"))
    assert submitted.status_code == 200, submitted.get_data(as_text=True)


def test_without_a_token_nobody_can_fail_or_pay_a_payment(client, db, alice, due_order):
    due_order("ord_1")
    payment = start(client, alice)
    path, _ = cashier(payment)
    assert_refused(client.get(path))
    for outcome in ("failure", "success"):
        assert_refused(client.post(path, data=form(payment, outcome)))
        assert_refused(client.post(path, query_string={"token": ""}, data=form(payment, outcome)))
    assert unchanged(db, payment)


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),  # another signature
    lambda t: str(int(t.split(".")[0]) + 3600) + "." + t.split(".")[1],  # a later expiry
    lambda t: t.split(".")[1],  # no expiry
    lambda t: t + "0",  # too long
    lambda t: t.upper(),  # not hex as signed
    lambda t: "9" * 12 + "." + "é" * 64,  # not ASCII
])
def test_a_tampered_token_is_refused(client, db, alice, due_order, tamper):
    due_order("ord_1")
    payment = start(client, alice)
    path, token = cashier(payment)
    bad = {"token": tamper(token)}
    assert_refused(client.get(path, query_string=bad))
    assert_refused(client.post(path, query_string=bad, data=form(payment)))
    assert unchanged(db, payment)


def test_another_payment_s_token_does_not_open_this_one(client, db, alice, bob, due_order):
    due_order("ord_1", user="alice")
    due_order("ord_2", user="bob")
    mine, theirs = start(client, alice), start(client, bob, order_id="ord_2")
    my_path, my_token = cashier(mine)
    their_path, _ = cashier(theirs)
    assert_refused(client.get(their_path, query_string={"token": my_token}))
    assert_refused(client.post(their_path, query_string={"token": my_token},
                               data=form(theirs)))
    # Nor for this payment at another provider's cashier.
    other_provider = my_path.replace("/alipay/", "/wechat/")
    assert_refused(client.get(other_provider, query_string={"token": my_token}))
    assert unchanged(db, mine, theirs)


def test_an_expired_token_is_refused(client, db, alice, due_order, reconfigure):
    due_order("ord_1")
    payment = start(client, alice)
    path, _ = cashier(payment)
    with db.transaction() as session:  # signed with the sandbox's own key, but past its time
        expired = cashier_token(session, "alipay", payment["id"],
                                utcnow() - timedelta(seconds=1))
    assert_refused(client.get(path, query_string={"token": expired}), "cashier-token-expired")
    assert_refused(client.post(path, query_string={"token": expired}, data=form(payment)),
                   "cashier-token-expired")
    assert unchanged(db, payment)

    reconfigure(cashier_ttl_s=0)  # links die as they are made
    due_order("ord_2")
    at_once = start(client, alice, order_id="ord_2")
    path, token = cashier(at_once)
    assert_refused(client.get(path, query_string={"token": token}), "cashier-token-expired")
    assert unchanged(db, payment, at_once)


def test_a_used_link_cannot_be_replayed_after_the_payment_completed(
        client, db, alice, due_order):
    due_order("ord_1")
    payment = start(client, alice)
    path, token = cashier(payment)
    query = {"token": token}
    assert client.post(path, query_string=query, data=form(payment, "success")).status_code == 200
    replay = client.post(path, query_string=query, data=form(payment, "failure"))
    assert replay.status_code == 409, "paid at the provider: a second submission is refused"
    assert sandbox.deliver_due(db, send=via(client)) == 1
    for response in (client.get(path, query_string=query),
                     client.post(path, query_string=query, data=form(payment, "failure"))):
        assert response.status_code == 404, "the payment is no longer pending"
        assert response.content_type == PROBLEM_JSON
    with db.read() as session:
        assert session.get(Payment, payment["id"]).status == "succeeded"
        assert session.scalar(select(func.count()).select_from(SandboxNotification)) == 1
    assert client.get(f"/api/v1/payments/{payment['id']}", headers=alice).json[
        "next_action"] is None


def test_top_up_links_are_bound_the_same_way(client, db, alice):
    top_up = client.post("/api/v1/wallet/top-ups", json={"amount": 5000, "method": "card"},
                         headers=alice).json
    path, token = cashier(top_up)
    assert_refused(client.get(path))
    assert client.get(path, query_string={"token": token}).status_code == 200
