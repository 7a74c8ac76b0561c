"""Member permissions sent back by the middle platform: real Kafka messages on
``integration.member-permissions.inbound`` through the embedded broker, applied by the
user service's inbound consumer once each, older or duplicate sequences ignored, an
unknown member or a malformed record dead-lettered; the admin's user view shows them."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from event_contracts.integration import MEMBER_PERMISSIONS_JSON_SCHEMA, Topic
from event_contracts.topics import dead_letter_topic
from service_runtime.config import DeliverySettings
from service_runtime.inbound_consumer import InboundConsumer
from service_runtime.testing.kafka_tools import produce, read_topic
from service_runtime.testing.processes import wait_until
from user.accounts import ensure_account
from user.member_permissions import INBOUND, MemberPermissions

TOPIC = Topic.MEMBER_PERMISSIONS_INBOUND.value


def grant(member_id: str, sequence: int, *permissions: str) -> tuple[str, dict]:
    return member_id, {"member_id": member_id, "sequence": sequence,
                       "permissions": list(permissions),
                       "changed_at": f"2026-12-03T10:00:{sequence:02d}+00:00"}


@pytest.fixture
def running(db, kafka_settings):  # type: ignore[no-untyped-def]
    consumer = InboundConsumer("user", db, INBOUND, kafka_settings,
                               DeliverySettings(consumer_backoff_ms=10))
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,))
    thread.start()
    yield consumer
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()


def signed_in(client, db, email: str, admin: bool = False) -> dict:  # type: ignore[no-untyped-def]
    """A bearer header of a real sign-in (the user service verifies its own tokens)."""
    ensure_account(db, email, "correct-horse-9", role="admin" if admin else "customer")
    tokens = client.post("/api/v1/auth/login",
                         json={"login": email, "password": "correct-horse-9"}).json
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def kept(db) -> dict[str, tuple[int, list[str]]]:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return {row.user_id: (row.sequence, row.permissions)
                for row in session.scalars(select(MemberPermissions))}


def handled(consumer: InboundConsumer) -> int:
    """Records handled so far on this test's fresh topic (its partitions start at 0)."""
    return sum(consumer.handled_positions().values())


def test_permissions_from_kafka_are_applied_once_in_sequence_order(
        db, client, kafka_settings, running):
    alice, _ = ensure_account(db, "alice@example.cn", "correct-horse-1")
    bob, _ = ensure_account(db, "bob@example.cn", "correct-horse-2")
    produce(kafka_settings, TOPIC, [
        grant(alice.id, 1, "wholesale_pricing"),
        grant(alice.id, 3, "wholesale_pricing", "beta.checkout", "vip:lounge"),
        grant(alice.id, 2, "revoked_soon"),  # older than 3: ignored
        grant(alice.id, 3, "duplicate"),  # a second record numbered 3: ignored
        grant(bob.id, 1, "wholesale_pricing"),
        grant("usr_nobody", 1, "wholesale_pricing"),  # no such member: dead letter
        ("bad", b"{not json"),  # malformed: dead letter
        grant(bob.id, 2),  # every permission taken away
    ])
    # Records of different members sit on different partitions, handled in any order:
    # wait until the consumer has dealt with all eight, not with bob's last one.
    wait_until(lambda: handled(running) == 8, 60, message="the inbound records were handled")
    assert kept(db) == {alice.id: (3, ["beta.checkout", "vip:lounge", "wholesale_pricing"]),
                        bob.id: (2, [])}
    wait_until(lambda: len(read_topic(kafka_settings, dead_letter_topic(INBOUND.group("user")),
                                      timeout=2)) == 2, 60)
    dead = read_topic(kafka_settings, dead_letter_topic(INBOUND.group("user")))
    assert sorted(r.key for r in dead) == [b"bad", b"usr_nobody"]
    # Delivered again (a redelivery after a crash): nothing moves.
    produce(kafka_settings, TOPIC, [grant(alice.id, 1, "wholesale_pricing"),
                                    grant(bob.id, 3, "wholesale_pricing")])
    wait_until(lambda: handled(running) == 10, 60)
    assert kept(db)[bob.id] == (3, ["wholesale_pricing"])
    assert kept(db)[alice.id] == (3, ["beta.checkout", "vip:lounge", "wholesale_pricing"])
    admin = signed_in(client, db, "root@shop.local", admin=True)
    view = client.get(f"/api/v1/admin/users/{alice.id}", headers=admin)
    assert view.status_code == 200, view.json
    assert view.json["email"] == "alice@example.cn"
    assert view.json["platform_permissions"]["permissions"] == [
        "beta.checkout", "vip:lounge", "wholesale_pricing"]
    assert view.json["platform_permissions"]["sequence"] == 3


def test_the_admin_user_view_needs_the_admin_role_and_a_known_user(db, client):
    carol, _ = ensure_account(db, "carol@example.cn", "correct-horse-3")
    admin = signed_in(client, db, "root@shop.local", admin=True)
    shown = client.get(f"/api/v1/admin/users/{carol.id}", headers=admin)
    assert shown.status_code == 200 and shown.json["platform_permissions"] is None
    assert client.get("/api/v1/admin/users/usr_nobody", headers=admin).status_code == 404
    assert client.get(f"/api/v1/admin/users/{carol.id}",
                      headers=signed_in(client, db, "dave@example.cn")).status_code == 403


def test_the_json_schema_and_the_parser_agree_on_examples():
    import jsonschema

    from user.member_permissions import parse

    good = grant("usr_1", 1, "a.b")[1]
    jsonschema.validate(good, MEMBER_PERMISSIONS_JSON_SCHEMA)
    assert parse(json.dumps(good).encode())["sequence"] == 1
    for bad in ({**good, "sequence": 0}, {**good, "permissions": ["Upper"]},
                {k: v for k, v in good.items() if k != "member_id"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, MEMBER_PERMISSIONS_JSON_SCHEMA)
        with pytest.raises(Exception, match="not a member-permissions record"):
            parse(json.dumps(bad).encode())
