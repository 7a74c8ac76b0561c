"""Customer-service tickets: a customer's own, answered by staff."""

from service_runtime.testing.plugin import bearer

TICKETS = "/api/v1/tickets"


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.content_type == "application/problem+json"
    assert response.get_json()["type"] == f"urn:shop:problem:{slug}"
    return response.get_json()


def open_ticket(client, headers, **body):  # type: ignore[no-untyped-def]
    response = client.post(TICKETS, headers=headers,
                           json={"subject": "Where is my kettle?", "message": "已经三天了", **body})
    return response


def test_a_customer_opens_a_ticket_and_staff_answer(client, orders, alice, admin_headers):
    orders.place()
    opened = open_ticket(client, alice, order_id="ord_1")
    assert opened.status_code == 201, opened.get_json()
    ticket = opened.get_json()
    tid = ticket["id"]
    assert (ticket["status"], ticket["order_id"]) == ("open", "ord_1")
    assert ticket["messages"] == [{"author": "customer", "body": "已经三天了",
                                   "created_at": ticket["messages"][0]["created_at"]}]

    reply = client.post(f"{TICKETS}/{tid}/messages", headers=admin_headers,
                        json={"message": "It ships today."})
    assert reply.status_code == 201 and reply.get_json()["status"] == "answered"
    again = client.post(f"{TICKETS}/{tid}/messages", headers=alice, json={"message": "Thanks"})
    assert again.get_json()["status"] == "open"
    seen = client.get(f"{TICKETS}/{tid}", headers=alice).get_json()
    assert [m["author"] for m in seen["messages"]] == ["customer", "staff", "customer"]
    assert client.get(f"{TICKETS}/{tid}", headers=admin_headers).status_code == 200
    other = open_ticket(client, alice).get_json()["id"]
    about_the_order = client.get("/api/v1/admin/tickets?order_id=ord_1",
                                 headers=admin_headers).get_json()["items"]
    assert [t["id"] for t in about_the_order] == [tid] and other != tid


def test_a_ticket_is_closed_by_its_customer_or_staff_and_reopened_by_writing(
        client, alice, bob, admin_headers):
    tid = open_ticket(client, alice).get_json()["id"]
    problem(client.post(f"{TICKETS}/{tid}/close", headers=bob), 404, "ticket-not-found")
    closed = client.post(f"{TICKETS}/{tid}/close", headers=alice)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    twice = client.post(f"{TICKETS}/{tid}/close", headers=alice)
    assert twice.get_json() == closed.get_json(), "closing again changes nothing"
    listed = client.get("/api/v1/admin/tickets", headers=admin_headers,
                        query_string={"status": "closed"}).get_json()["items"]
    assert [t["id"] for t in listed] == [tid]

    reopened = client.post(f"{TICKETS}/{tid}/messages", headers=alice,
                           json={"message": "还没收到 still nothing"})
    assert reopened.get_json()["status"] == "open"
    assert client.post(f"{TICKETS}/{tid}/close",
                       headers=admin_headers).get_json()["status"] == "closed"
    problem(client.post(f"{TICKETS}/tkt_nope/close", headers=alice), 404, "ticket-not-found")


def test_others_see_nothing(client, alice, bob, signing_key):
    tid = open_ticket(client, alice).get_json()["id"]
    problem(client.get(f"{TICKETS}/{tid}", headers=bob), 404, "ticket-not-found")
    problem(client.post(f"{TICKETS}/{tid}/messages", headers=bob, json={"message": "hi"}),
            404, "ticket-not-found")
    assert client.get(TICKETS, headers=bob).get_json()["items"] == []
    assert [t["id"] for t in client.get(TICKETS, headers=alice).get_json()["items"]] \
        == [tid]
    problem(client.get(TICKETS), 401, "unauthorized")


def test_an_order_named_must_be_the_callers(client, orders, bob):
    orders.place()
    problem(open_ticket(client, bob, order_id="ord_1"), 404, "order-not-found")
    problem(open_ticket(client, bob, order_id="ord_nope"), 404, "order-not-found")
    assert client.get(TICKETS, headers=bob).get_json()["items"] == []


def test_bad_tickets_are_refused(client, alice):
    for body in [{"subject": "", "message": "x"}, {"subject": "x", "message": ""},
                 {"subject": "x" * 201, "message": "x"}, {"subject": "x"},
                 {"subject": "x", "message": "y", "priority": "high"}]:
        problem(client.post(TICKETS, headers=alice, json=body), 422, "validation-error")
    assert client.get(TICKETS, headers=alice).get_json()["items"] == []


def test_staff_list_tickets_by_status(client, alice, bob, admin_headers, signing_key):
    first = open_ticket(client, alice).get_json()["id"]
    second = open_ticket(client, bob).get_json()["id"]
    client.post(f"{TICKETS}/{first}/messages", headers=admin_headers, json={"message": "ok"})
    listed = client.get("/api/v1/admin/tickets", headers=admin_headers).get_json()
    assert [t["id"] for t in listed["items"]] == [second, first]
    answered = client.get("/api/v1/admin/tickets?status=answered",
                          headers=admin_headers).get_json()
    assert [t["id"] for t in answered["items"]] == [first]
    of_bob = client.get("/api/v1/admin/tickets?user_id=bob", headers=admin_headers).get_json()
    assert [t["id"] for t in of_bob["items"]] == [second]
    problem(client.get("/api/v1/admin/tickets", headers=alice), 403, "forbidden")
    problem(client.get("/api/v1/admin/tickets",
                       headers=bearer(signing_key, "carol")), 403, "forbidden")
