"""Partner webhooks of the middle-platform feed, against a real HTTP receiver in a thread:
each delivery signed (the receiver checks the HMAC the way docs/integration.md tells a
partner to), retried with backoff when the receiver fails, in sequence per entity,
surviving a restart (the retry state is in the database), and parked after the last
attempt as a dead letter the admin lists and replays.

The receivers listen on 127.0.0.1 over http, which the default URL policy refuses: these
tests allow it explicitly, as local development does."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from test_integration_feed import FEED
from werkzeug.wrappers import Request, Response

from analytics import webhooks
from analytics.feed_models import IntegrationRecord, WebhookDelivery
from analytics.webhook_urls import UrlPolicy
from service_runtime.db import Database
from service_runtime.ids import utcnow
from service_runtime.testing.plugin import bearer
from service_runtime.testing.processes import served

HOOKS = "/api/v1/admin/analytics/integration/webhooks"
DEAD = "/api/v1/admin/analytics/integration/dead-letters"
SECRET = "partner-secret-0123456789"
LOCAL = UrlPolicy.of(["127.0.0.0/8"], allow_http=True)

pytestmark = pytest.mark.usefixtures("local_webhook_receivers")


def sender(max_attempts: int, policy: UrlPolicy = LOCAL):  # type: ignore[no-untyped-def]
    """The worker's job, with backoffs short enough for a pass a second."""
    return webhooks.job(max_attempts=max_attempts, first_backoff_s=0.001,
                        max_backoff_s=0.002, timeout_s=5, policy=policy)


def partner_verifies(secret: str, header: str, body: bytes, tolerance_s: int = 300) -> bool:
    """The check of docs/integration.md, written as a partner would (not our code)."""
    try:
        fields = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return (abs(time.time() - timestamp) <= tolerance_s
            and hmac.compare_digest(mac.hexdigest(), fields.get("v1", "")))


class Receiver:
    """A partner: refuses a bad signature (401), fails the first ``fail_first`` tries of
    each record (503), keeps what it accepted and every attempt in arrival order."""

    def __init__(self, secret: str, fail_first: int) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.lock = threading.Lock()
        self.tries: Counter = Counter()
        self.log: list[tuple[tuple[str, str], int, int]] = []  # (entity, sequence, status)
        self.bad_signatures = 0

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        body = request.get_data()
        with self.lock:
            if not partner_verifies(self.secret, request.headers.get("X-Shop-Signature", ""),
                                    body):
                self.bad_signatures += 1
                return Response(status=401)(environ, start_response)
            record = json.loads(body)
            entity = (record["entity_type"], record["entity_id"])
            self.tries[(entity, record["sequence"])] += 1
            ok = self.tries[(entity, record["sequence"])] > self.fail_first
            self.log.append((entity, record["sequence"], 200 if ok else 503))
        return Response(status=200 if ok else 503)(environ, start_response)

    def accepted(self) -> dict[tuple[str, str], list[int]]:
        out: dict[tuple[str, str], list[int]] = defaultdict(list)
        for entity, sequence, status in self.log:
            if status == 200:
                out[entity].append(sequence)
        return dict(out)


@pytest.fixture
def feed(example_event):  # type: ignore[no-untyped-def]
    return [example_event(event_type, **data) for event_type, data in FEED]


def add_endpoint(client, admin, url: str, name: str = "erp", secret: str = SECRET,
                 entity_types=("order", "payment", "refund")) -> dict:  # type: ignore[no-untyped-def]
    answer = client.post(HOOKS, headers=admin, json={
        "name": name, "url": url, "entity_types": list(entity_types), "secret": secret})
    assert answer.status_code == 201, answer.json
    return answer.json


def run_passes(db: Database, job, passes: int, start: int = 0) -> int:  # type: ignore[no-untyped-def]
    """Passes of the sender, each a second later than the last (the backoff is shorter)."""
    for n in range(start, start + passes):
        job.run_due(db, at=utcnow() + timedelta(seconds=n))
    return start + passes


def undelivered(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).where(WebhookDelivery.delivered_at.is_(None)))


def test_deliveries_are_signed_retried_in_sequence_per_entity_and_survive_a_restart(
        client, admin, db, consumer, feed):
    receiver = Receiver(SECRET, fail_first=2)
    job = sender(5)
    with served(receiver) as url:
        add_endpoint(client, admin, url + "/hook")
        for event in feed:
            consumer.apply(event)
        n = run_passes(db, job, 3)
        assert receiver.log and undelivered(db) > 0
        # A restart: nothing but the database carries the deliveries' state.
        url_of_db = db.engine.url.render_as_string(hide_password=False)
        again = Database(url_of_db)
        try:
            for _ in range(60):
                if undelivered(again) == 0:
                    break
                n = run_passes(again, job, 1, n)
        finally:
            again.dispose()
    assert undelivered(db) == 0
    assert receiver.bad_signatures == 0
    with db.read() as session:
        wanted = defaultdict(list)
        for entity_type, entity_id, sequence in session.execute(
                select(IntegrationRecord.entity_type, IntegrationRecord.entity_id,
                       IntegrationRecord.sequence).order_by(IntegrationRecord.id)):
            if entity_type != "member" and entity_type != "inventory":
                wanted[(entity_type, entity_id)].append(sequence)
    # Every record of the wanted types, each accepted once, in sequence per entity ...
    assert receiver.accepted() == dict(wanted)
    assert receiver.accepted()[("order", "o1")] == [1, 2, 3, 4]
    # ... and never a try of a record before the one before it was accepted.
    for entity, mine in wanted.items():
        tries = [(sequence, status) for e, sequence, status in receiver.log if e == entity]
        highest_accepted = 0
        for sequence, status in tries:
            assert sequence == highest_accepted + 1, (entity, tries)
            if status == 200:
                highest_accepted = sequence
        assert Counter(s for s, _ in tries) == {s: 3 for s in mine}  # 2 failures + 1


def test_a_wrong_secret_is_refused_and_parked_then_listed_and_replayed(
        client, admin, db, consumer, feed):
    receiver = Receiver(SECRET, fail_first=0)
    job = sender(3)
    with served(receiver) as url:
        add_endpoint(client, admin, url, secret="not-the-partner-secret-xx",
                     entity_types=("member",))
        for event in feed:
            consumer.apply(event)
        run_passes(db, job, 6)
        assert receiver.log == [] and receiver.bad_signatures == 2 * 3  # two member records
        page = client.get(f"{DEAD}?limit=1", headers=admin)
        assert page.status_code == 200, page.json
        first = page.json["items"][0]
        assert (first["entity_type"], first["entity_id"], first["sequence"]) == ("member", "u1", 1)
        assert first["attempts"] == 3 and first["last_error"] == "HTTP 401"
        rest = client.get(f"{DEAD}?limit=5&cursor={page.json['next_cursor']}", headers=admin)
        assert [d["sequence"] for d in rest.json["items"]] == [2]
        assert rest.json["next_cursor"] is None
        # The partner's secret is what the receiver knows; the operator fixes the cause.
        receiver.secret = "not-the-partner-secret-xx"
        replayed = client.post(f"{DEAD}/replay", headers=admin,
                               json={"delivery_ids": [first["id"]]})
        assert replayed.status_code == 200 and replayed.json == {"replayed": 1}
        run_passes(db, job, 2, 100)
        assert receiver.accepted() == {("member", "u1"): [1]}
        assert client.post(f"{DEAD}/replay", headers=admin, json={}).json == {"replayed": 1}
        run_passes(db, job, 2, 200)
        assert receiver.accepted() == {("member", "u1"): [1, 2]}
        assert client.get(DEAD, headers=admin).json["items"] == []


def test_endpoints_admin(client, admin, signing_key):
    created = add_endpoint(client, admin, "http://127.0.0.1:9/hook", name="p1",
                           secret=None)  # type: ignore[arg-type]
    assert len(created["secret"]) >= 32 and created["entity_types"] == [
        "order", "payment", "refund"]
    listed = client.get(HOOKS, headers=admin).json["items"]
    assert [e["name"] for e in listed] == ["p1"] and "secret" not in listed[0]
    again = client.post(HOOKS, headers=admin, json={
        "name": "p1", "url": "http://127.0.0.2/", "entity_types": ["order"]})
    assert again.status_code == 409
    bad = client.post(HOOKS, headers=admin, json={
        "name": "p2", "url": "ftp://x.example/", "entity_types": ["orders"]})
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json["errors"]} >= {"url", "entity_types.0"}
    assert client.get(HOOKS, headers=admin).json["items"] == listed  # nothing kept
    shopper = bearer(signing_key, "u1")
    assert client.get(HOOKS, headers=shopper).status_code == 403
    assert client.get(DEAD).status_code == 401
