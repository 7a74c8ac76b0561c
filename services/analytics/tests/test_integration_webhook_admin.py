"""Editing partner webhook endpoints: read one, change it (name, URL, entity types,
active), rotate its secret. Against the real database and the local receiver of
``test_integration_webhooks``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from test_integration_feed import FEED
from test_integration_webhooks import HOOKS, SECRET, Receiver, add_endpoint, run_passes, sender

from analytics.feed_models import IntegrationRecord, WebhookDelivery
from service_runtime.db import Database
from service_runtime.testing.processes import served

pytestmark = pytest.mark.usefixtures("local_webhook_receivers")


@pytest.fixture
def feed(example_event):  # type: ignore[no-untyped-def]
    return [example_event(event_type, **data) for event_type, data in FEED]


def order_records(db: Database) -> dict[tuple[str, str], list[int]]:
    """The order records made so far, by entity, in sequence."""
    out: dict[tuple[str, str], list[int]] = {}
    with db.read() as session:
        for entity_id, sequence in session.execute(
                select(IntegrationRecord.entity_id, IntegrationRecord.sequence)
                .where(IntegrationRecord.entity_type == "order")
                .order_by(IntegrationRecord.id)):
            out.setdefault(("order", entity_id), []).append(sequence)
    return out


def deliveries(db: Database) -> list[tuple[int, str]]:
    with db.read() as session:
        return list(session.execute(select(WebhookDelivery.record_id,
                                           WebhookDelivery.entity_type)
                                    .order_by(WebhookDelivery.id)).all())


def test_read_and_edit_an_endpoint(client, admin):
    first = add_endpoint(client, admin, "http://127.0.0.1:9/a", name="erp")
    other = add_endpoint(client, admin, "http://127.0.0.1:9/b", name="crm")
    one = client.get(f"{HOOKS}/{first['id']}", headers=admin)
    assert one.status_code == 200
    assert one.json["name"] == "erp" and "secret" not in one.json

    changed = client.patch(f"{HOOKS}/{first['id']}", headers=admin, json={
        "name": "erp-2", "entity_types": ["payment", "order", "order"]})
    assert changed.status_code == 200, changed.json
    assert changed.json["name"] == "erp-2" and changed.json["entity_types"] == [
        "order", "payment"]
    assert changed.json["url"] == "http://127.0.0.1:9/a" and changed.json["active"] is True
    assert "secret" not in changed.json
    assert client.get(f"{HOOKS}/{first['id']}", headers=admin).json == changed.json

    taken = client.patch(f"{HOOKS}/{first['id']}", headers=admin, json={"name": "crm"})
    assert taken.status_code == 409
    assert taken.json["type"] == "urn:shop:problem:webhook-endpoint-exists"
    # Its own name is no conflict.
    assert client.patch(f"{HOOKS}/{first['id']}", headers=admin,
                        json={"name": "erp-2"}).status_code == 200
    for bad in ({}, {"entity_types": []}, {"entity_types": ["orders"]}, {"active": "maybe"},
                {"url": "ftp://127.0.0.1/"}, {"secret": "a-new-secret-0123456789"}):
        answer = client.patch(f"{HOOKS}/{first['id']}", headers=admin, json=bad)
        assert answer.status_code == 422, (bad, answer.json)
    refused = client.patch(f"{HOOKS}/{first['id']}", headers=admin,
                           json={"url": "http://10.0.0.7/hook"})
    assert refused.status_code == 422
    assert refused.json["type"] == "urn:shop:problem:webhook-url-refused"
    assert "10.0.0.7" in refused.json["detail"]

    missing = client.get(f"{HOOKS}/999999", headers=admin)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert client.patch(f"{HOOKS}/999999", headers=admin,
                        json={"active": False}).status_code == 404
    assert client.post(f"{HOOKS}/999999/secret", headers=admin, json={}).status_code == 404
    # Nothing a refused edit carried was kept.
    listed = {e["id"]: e for e in client.get(HOOKS, headers=admin).json["items"]}
    assert listed[first["id"]] == changed.json
    assert listed[other["id"]]["name"] == "crm"
    assert client.patch(f"{HOOKS}/{first['id']}", json={"active": False}).status_code == 401


def test_a_rotated_secret_signs_every_try_from_then_on(client, admin, db, consumer, feed):
    receiver = Receiver(SECRET, fail_first=0)
    with served(receiver) as url:
        endpoint = add_endpoint(client, admin, url, secret="the-old-secret-0123456789",
                                entity_types=("order",))
        for event in feed:
            consumer.apply(event)  # queued while the old secret was the endpoint's
        rotated = client.post(f"{HOOKS}/{endpoint['id']}/secret", headers=admin,
                              json={"secret": SECRET})
        assert rotated.status_code == 200, rotated.json
        assert rotated.json["secret"] == SECRET and rotated.json["id"] == endpoint["id"]
        assert "secret" not in client.get(f"{HOOKS}/{endpoint['id']}", headers=admin).json
        run_passes(db, sender(3), 8)
    assert receiver.bad_signatures == 0
    assert receiver.accepted() == order_records(db)
    generated = client.post(f"{HOOKS}/{endpoint['id']}/secret", headers=admin, json={})
    assert generated.status_code == 200
    assert len(generated.json["secret"]) >= 32 and generated.json["secret"] != SECRET
    short = client.post(f"{HOOKS}/{endpoint['id']}/secret", headers=admin,
                        json={"secret": "short"})
    assert short.status_code == 422


def test_a_deactivated_endpoint_gets_nothing_new_and_its_pending_deliveries_wait(
        client, admin, db, consumer, feed):
    receiver = Receiver(SECRET, fail_first=0)
    job = sender(3)
    with served(receiver) as url:
        endpoint = add_endpoint(client, admin, url, entity_types=("order",))
        hook = f"{HOOKS}/{endpoint['id']}"
        for event in feed[:9]:
            consumer.apply(event)
        queued_before = order_records(db)
        assert sum(map(len, queued_before.values())) >= 2  # o1 placed, then paid
        off = client.patch(hook, headers=admin, json={"active": False})
        assert off.status_code == 200 and off.json["active"] is False
        run_passes(db, job, 5)
        assert receiver.log == []  # pending, but not sent
        queued = len(deliveries(db))
        for event in feed[9:]:
            consumer.apply(event)
        assert len(deliveries(db)) == queued  # records made while off: none queued
        assert order_records(db) != queued_before  # ... though there were some
        assert client.patch(hook, headers=admin, json={"active": True}).status_code == 200
        run_passes(db, job, 5, 10)
    # What was pending went out once it was active again, in sequence; nothing later.
    assert receiver.accepted() == queued_before
    assert [sequence for _, sequence, _ in receiver.log] == [
        s for seqs in queued_before.values() for s in seqs]


def test_new_entity_types_count_for_records_made_from_then_on(
        client, admin, db, consumer, feed):
    endpoint = add_endpoint(client, admin, "http://127.0.0.1:9/hook",
                            entity_types=("member",))
    for event in feed[:6]:
        consumer.apply(event)
    with db.read() as session:
        last_before = session.scalar(select(func.max(IntegrationRecord.id)))
    assert client.patch(f"{HOOKS}/{endpoint['id']}", headers=admin,
                        json={"entity_types": ["order"]}).status_code == 200
    for event in feed[6:]:
        consumer.apply(event)
    queued = deliveries(db)
    before = {entity_type for record_id, entity_type in queued if record_id <= last_before}
    after = {entity_type for record_id, entity_type in queued if record_id > last_before}
    assert before == {"member"} and after == {"order"}
    # The member deliveries queued before the change stay queued.
    with db.read() as session:
        members = session.scalar(select(func.count()).where(
            IntegrationRecord.entity_type == "member"))
    assert sum(1 for _, t in queued if t == "member") == members


def test_the_openapi_document_describes_the_endpoint_routes(client):
    document = client.get("/openapi.json").json
    paths = document["paths"]
    one = paths[HOOKS + "/{endpoint_id}"]
    assert {"get", "patch"} <= set(one)
    assert {"200", "404", "409", "422"} <= set(one["patch"]["responses"])
    ref = one["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    editable = document["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert set(editable) == {"name", "url", "entity_types", "active"}
    secret = paths[HOOKS + "/{endpoint_id}/secret"]["post"]
    assert {"200", "404"} <= set(secret["responses"])


def test_a_name_written_by_another_admin_in_between_is_a_409(client, admin, monkeypatch):
    from analytics import webhooks

    add_endpoint(client, admin, "http://127.0.0.1:9/a", name="erp")
    second = add_endpoint(client, admin, "http://127.0.0.1:9/b", name="crm")
    # Both checks pass, as when the other admin's write lands after this one's check.
    monkeypatch.setattr(webhooks, "_name_taken", lambda *args, **kwargs: None)
    created = client.post(HOOKS, headers=admin, json={
        "name": "erp", "url": "http://127.0.0.1:9/c", "entity_types": ["order"]})
    assert created.status_code == 409, created.json
    assert created.json["type"] == "urn:shop:problem:webhook-endpoint-exists"
    renamed = client.patch(f"{HOOKS}/{second['id']}", headers=admin, json={"name": "erp"})
    assert renamed.status_code == 409, renamed.json
    listed = client.get(HOOKS, headers=admin).json["items"]
    assert sorted(e["name"] for e in listed) == ["crm", "erp"]
