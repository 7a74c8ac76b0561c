"""The deny-list of ended sign-ins: a verifier refuses their tokens within moments, learns
them in the background without ever holding a request, and survives the user service
being away."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, jsonify, request
from prometheus_client import REGISTRY

from service_runtime.app import create_app
from service_runtime.auth import (
    AuthSettings,
    TokenVerifier,
    current_identity,
    jwks,
    start_revocation_feed,
    verifier,
)
from service_runtime.config import HttpSettings
from service_runtime.errors import Unauthorized
from service_runtime.revocations import RevocationFeed, revocations_url_for
from service_runtime.testing.plugin import bearer
from service_runtime.testing.processes import served, wait_until


class FakeUserService:
    """The two things a verifier fetches from the user service: keys and the deny-list."""

    def __init__(self, signing_key) -> None:  # type: ignore[no-untyped-def]
        self.revoked: dict[str, datetime | str] = {}  # session id -> expires_at
        self.down = False
        self.asked_since: list[str | None] = []
        self.answers = 0
        self.release = threading.Event()
        self.release.set()
        self.app = Flask("fake-user")
        self.app.add_url_rule("/api/v1/auth/jwks.json", "jwks",
                              lambda: jsonify(jwks(signing_key)))
        self.app.add_url_rule("/internal/revocations", "revocations", self.revocations)

    def revocations(self):  # type: ignore[no-untyped-def]
        self.release.wait(30)
        self.asked_since.append(request.args.get("since"))
        if self.down:
            return "unavailable", 503
        self.answers += 1
        return jsonify(revoked=[{"session_id": sid, "expires_at": str(until.isoformat()
                                 if isinstance(until, datetime) else until)}
                                for sid, until in self.revoked.items()],
                       cursor=f"cursor-{self.answers}")


@pytest.fixture
def user_service(signing_key):
    fake = FakeUserService(signing_key)
    with served(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def feed_verifier(user_service):
    """A verifier as the gateway and every service build one: keys and deny-list fetched."""
    service = f"test-{uuid.uuid4().hex[:8]}"  # its own metric labels
    verifier = TokenVerifier(AuthSettings(jwks_url=f"{user_service.url}/api/v1/auth/jwks.json",
                                          revocations_interval_ms=20), service=service)
    yield verifier
    verifier.revocations.stop()


def token(signing_key, session_id: str | None) -> str:
    return bearer(signing_key, "u-1", session_id=session_id)["Authorization"].split()[1]


def later(minutes: int = 15) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def refused(verifier: TokenVerifier, access_token: str) -> bool:
    try:
        verifier.verify(access_token)
    except Unauthorized as problem:
        return problem.extra.get("reason") == "token-revoked"
    return False


def metric(name: str, verifier: TokenVerifier) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": verifier.revocations.service})


def test_configured_revocations_refuse_that_sign_in_only(signing_key):
    app = create_app("probe", config={"AUTH_JWKS": jwks(signing_key), "AUTH_REVOCATIONS": {"s-1"}})
    app.add_url_rule("/whoami", "whoami", lambda: jsonify(user=current_identity().user_id))
    client = app.test_client()
    revoked = client.get("/whoami", headers=bearer(signing_key, "u-1", session_id="s-1"))
    assert revoked.status_code == 401 and revoked.content_type == "application/problem+json"
    assert revoked.json["type"] == "urn:shop:problem:unauthorized"
    assert revoked.json["reason"] == "token-revoked"
    assert client.get("/whoami", headers=bearer(signing_key, "u-1", session_id="s-2")).json == \
        {"user": "u-1"}
    assert client.get("/whoami", headers=bearer(signing_key, "u-1")).status_code == 200


def test_the_deny_list_lives_next_to_the_keys():
    assert revocations_url_for("http://user-api:8101/api/v1/auth/jwks.json") == \
        "http://user-api:8101/internal/revocations"


def test_a_revocation_is_learnt_in_the_background_incrementally(feed_verifier, user_service,
                                                                signing_key):
    assert not feed_verifier.revocations.running, "nothing starts before the first token"
    assert feed_verifier.verify(token(signing_key, "s-1")).user_id == "u-1"
    assert feed_verifier.revocations.running
    wait_until(lambda: user_service.answers >= 1, timeout=10, message="a first fetch")
    user_service.revoked["s-1"] = later()
    wait_until(lambda: refused(feed_verifier, token(signing_key, "s-1")), timeout=10,
               message="the revocation to reach the verifier")
    assert feed_verifier.verify(token(signing_key, "s-2")).user_id == "u-1"
    # The first fetch asks for everything; each later one from the cursor it was given.
    wait_until(lambda: len(user_service.asked_since) >= 3, timeout=10)
    assert user_service.asked_since[:3] == [None, "cursor-1", "cursor-2"]
    assert metric("auth_revocation_last_fetch_timestamp_seconds", feed_verifier) > 0


def test_while_the_user_service_is_away_the_last_list_is_kept(feed_verifier, user_service,
                                                              signing_key):
    user_service.revoked["s-1"] = later()
    feed_verifier.verify(token(signing_key, "s-2"))  # starts the refresher
    wait_until(lambda: refused(feed_verifier, token(signing_key, "s-1")), timeout=10)
    user_service.down = True
    wait_until(lambda: (metric("auth_revocation_fetch_errors_total", feed_verifier) or 0) >= 2,
               timeout=10, message="failed fetches to be counted")
    assert refused(feed_verifier, token(signing_key, "s-1"))
    assert feed_verifier.verify(token(signing_key, "s-2")).user_id == "u-1"
    user_service.revoked["s-2"] = later()
    user_service.down = False
    wait_until(lambda: refused(feed_verifier, token(signing_key, "s-2")), timeout=10,
               message="revocations to flow again")


def test_a_request_never_waits_for_the_deny_list(feed_verifier, user_service, signing_key):
    user_service.release.clear()  # the user service holds every fetch
    try:
        assert feed_verifier.verify(token(signing_key, "s-1")).user_id == "u-1"
        wait_until(lambda: feed_verifier.revocations.running, timeout=10)
        assert feed_verifier.verify(token(signing_key, "s-1")).user_id == "u-1"
        # Had a verification waited for the fetch, the fetch would have ended (by answer
        # or by timeout) and been counted.
        assert metric("auth_revocation_fetch_errors_total", feed_verifier) is None
        assert metric("auth_revocation_last_fetch_timestamp_seconds", feed_verifier) is None
    finally:
        user_service.release.set()


def test_an_idle_process_asks_seldom_and_its_next_check_catches_up(user_service):
    feed = RevocationFeed(f"{user_service.url}/internal/revocations", interval_s=0.02,
                          idle_interval_s=1.0, service=f"test-{uuid.uuid4().hex[:8]}")
    try:
        assert not feed("s-1")  # the first check starts the refresher
        time.sleep(1.5)  # no check for longer than the idle interval
        asked = user_service.answers
        time.sleep(2)
        # Once a second instead of every 20 ms (about a hundred times in 2 s).
        assert user_service.answers - asked <= 3
        user_service.revoked["s-1"] = later()
        assert feed("s-1"), "the first check after the pause waits for a fresh list"
    finally:
        feed.stop()


def test_after_a_pause_a_check_waits_for_the_user_service_only_so_long(user_service):
    feed = RevocationFeed(f"{user_service.url}/internal/revocations", interval_s=0.02,
                          idle_interval_s=0.3, catch_up_s=0.2,
                          service=f"test-{uuid.uuid4().hex[:8]}")
    user_service.revoked["s-1"] = later()
    try:
        feed.start()
        wait_until(lambda: feed("s-1"), timeout=10, message="a first fetch")
        time.sleep(0.8)  # idle
        user_service.release.clear()  # the user service now holds every fetch
        started = time.monotonic()
        assert feed("s-1"), "the last list is kept"
        assert 0.2 <= time.monotonic() - started < 1.0
        started = time.monotonic()
        assert not feed("s-2")
        assert time.monotonic() - started < 0.1, "one check waited; the next ones do not"
    finally:
        user_service.release.set()
        feed.stop()


def test_a_booting_worker_fetches_the_list_before_its_first_token(user_service, monkeypatch):
    monkeypatch.setenv("AUTH_JWKS_URL", f"{user_service.url}/api/v1/auth/jwks.json")
    app = create_app("probe")
    start_revocation_feed(app)  # what gunicorn_conf.post_worker_init does
    with app.app_context():
        feed = verifier().revocations
    try:
        wait_until(lambda: user_service.answers >= 1, timeout=10, message="a first fetch")
    finally:
        feed.stop()
    start_revocation_feed(create_app("probe", config={"AUTH_JWKS": {"keys": []}}))  # no feed


def test_apps_that_check_no_tokens_boot_without_a_feed():
    """A bare Flask app (the benchmark's ceiling) and a worker's ops endpoints (built with no
    token settings) boot under the shared gunicorn config: nothing to start, no error."""
    bare = Flask("bare")
    start_revocation_feed(bare)
    assert "token_verifier" not in bare.extensions
    ops = create_app("probe-worker", runtime=(HttpSettings(), None))
    start_revocation_feed(ops)
    assert "token_verifier" not in ops.extensions


def test_entries_past_their_expiry_are_dropped(user_service):
    user_service.revoked = {"s-old": later(-1), "s-new": later()}
    feed = RevocationFeed(f"{user_service.url}/internal/revocations", interval_s=60)
    try:
        assert feed.refresh()
        assert feed("s-new") and not feed("s-old")
    finally:
        feed.stop()


def test_a_malformed_answer_is_a_failed_fetch_and_changes_nothing(user_service):
    feed = RevocationFeed(f"{user_service.url}/internal/revocations", interval_s=60,
                          service=f"test-{uuid.uuid4().hex[:8]}")
    try:
        user_service.revoked = {"s-1": later()}
        assert feed.refresh()
        user_service.revoked = {"s-2": "not a time"}
        assert not feed.refresh()
        assert feed("s-1") and not feed("s-2")
    finally:
        feed.stop()
