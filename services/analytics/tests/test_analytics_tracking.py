"""POST /track: each event checked on its own, retries kept once, the user from the token,
bounded bodies, a rate limit per client."""

from datetime import timedelta

from sqlalchemy import func, select

from analytics.app import create_app
from analytics.models import BehaviourEvent
from analytics.settings import AnalyticsSettings
from service_runtime.ids import utcnow

TRACK = "/api/v1/track"


def event(**changes):  # type: ignore[no-untyped-def]
    base = {"type": "page_view", "occurred_at": (utcnow() - timedelta(seconds=5)).isoformat(),
            "session_id": "s-1", "path": "/products/7", "product_id": 7}
    return {**base, **changes}


def kept(db):  # type: ignore[no-untyped-def]
    with db.read() as session:
        return list(session.scalars(select(BehaviourEvent).order_by(BehaviourEvent.id)))


def count(db) -> int:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(BehaviourEvent))


def test_good_events_are_kept_and_each_bad_one_is_reported_by_its_index(client, db):
    response = client.post(TRACK, json={"events": [
        event(event_id="e1"),
        event(event_id="e2", type="teleport"),
        event(event_id="e3", type="click", name="pay", product_id=None),
        event(event_id="e4", occurred_at=(utcnow() + timedelta(hours=1)).isoformat()),
        "not an event",
    ]})
    assert response.status_code == 202, response.json
    assert response.json["accepted"] == 2
    assert response.json["duplicates"] == 0
    errors = {error["index"]: error["problems"] for error in response.json["errors"]}
    assert set(errors) == {1, 3, 4}
    assert [p["field"] for p in errors[1]] == ["type"]
    assert errors[3] == [{"field": "occurred_at", "messages": ["in the future"]}]
    assert [(row.event_id, row.type, row.name) for row in kept(db)] == [
        ("e1", "page_view", None), ("e3", "click", "pay")]


def test_a_retried_batch_is_not_counted_twice(client, db):
    batch = {"events": [event(event_id="e1"), event(event_id="e2", type="search",
                                                    props={"query": "kettle"})]}
    assert client.post(TRACK, json=batch).json == {"accepted": 2, "duplicates": 0, "errors": []}
    assert client.post(TRACK, json=batch).json == {"accepted": 0, "duplicates": 2, "errors": []}
    # The same event id in another session is another event.
    other = {"events": [event(event_id="e1", session_id="s-2")]}
    assert client.post(TRACK, json=other).json["accepted"] == 1
    assert count(db) == 3


def test_events_without_an_id_are_recognised_by_their_content(client, db):
    at = (utcnow() - timedelta(seconds=5)).isoformat()
    batch = {"events": [event(occurred_at=at), event(occurred_at=at, type="add_to_cart"),
                        event(occurred_at=at)]}
    first = client.post(TRACK, json=batch).json
    assert (first["accepted"], first["duplicates"]) == (2, 1)  # the third repeats the first
    again = client.post(TRACK, json=batch).json
    assert (again["accepted"], again["duplicates"]) == (0, 3)
    assert count(db) == 2


def test_the_user_comes_from_the_token_never_from_the_body(client, db, alice):
    assert client.post(TRACK, json={"events": [event(event_id="a")]}, headers=alice) \
        .status_code == 202
    assert client.post(TRACK, json={"events": [event(event_id="b")]}).status_code == 202
    refused = client.post(TRACK, json={"events": [event(event_id="c", user_id="bob")]})
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "events.0.user_id"
    assert [(row.event_id, row.user_id) for row in kept(db)] == [("a", "alice"), ("b", None)]


def test_a_bad_token_is_refused(client, db):
    response = client.post(TRACK, json={"events": [event()]},
                           headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert count(db) == 0


def test_a_batch_of_only_bad_events_is_a_422_that_keeps_nothing(client, db):
    response = client.post(TRACK, json={"events": [event(type="x"), event(session_id="")]})
    assert response.status_code == 422
    assert response.json["type"] == "urn:shop:problem:validation-error"
    assert {error["field"] for error in response.json["errors"]} == {
        "events.0.type", "events.1.session_id"}
    assert count(db) == 0


def test_malformed_batches_are_refused(client, db):
    for body in ({}, {"events": []}, {"events": "page_view"}, {"events": [event()] * 101},
                 {"events": [event()], "more": 1}):
        response = client.post(TRACK, json=body)
        assert response.status_code == 422, (body, response.json)
        assert response.json["type"] == "urn:shop:problem:validation-error"
    not_json = client.post(TRACK, data="{events", content_type="application/json")
    assert not_json.status_code == 400
    assert count(db) == 0


def test_properties_are_small_flat_and_scalar(client, db):
    too_many = {f"k{n}": n for n in range(21)}
    response = client.post(TRACK, json={"events": [
        event(event_id="1", props={"query": "kettle", "page": 2, "fast": True, "x": None}),
        event(event_id="2", props=too_many),
        event(event_id="3", props={"nested": {"a": 1}}),
        event(event_id="4", props={"text": "x" * 201}),
        event(event_id="5", props={f"k{n}": "y" * 190 for n in range(15)}),
        event(event_id="6", product_id=2**31),
        event(event_id="7", occurred_at=(utcnow() - timedelta(days=8)).isoformat()),
    ]})
    assert response.status_code == 202
    assert response.json["accepted"] == 1
    assert [error["index"] for error in response.json["errors"]] == [1, 2, 3, 4, 5, 6]
    [row] = kept(db)
    assert row.props == {"query": "kettle", "page": 2, "fast": True, "x": None}


def test_a_body_larger_than_a_batch_may_be_is_a_413(app, alice):
    small = create_app(config={"AUTH_JWKS": app.config["AUTH_JWKS"]},
                       database=app.extensions["db"].url,
                       settings=AnalyticsSettings(track_max_body_bytes=2000))
    try:
        client = small.test_client()
        assert client.post(TRACK, json={"events": [event()]}).status_code == 202
        response = client.post(TRACK, json={"events": [event(event_id=str(n))
                                                       for n in range(20)]})
        assert response.status_code == 413
        assert response.json["type"] == "urn:shop:problem:request-entity-too-large"
    finally:
        small.extensions["db"].dispose()


def test_too_many_batches_from_one_client_is_a_429(app):
    limited = create_app(config={"AUTH_JWKS": app.config["AUTH_JWKS"]},
                         database=app.extensions["db"].url,
                         settings=AnalyticsSettings(track_rate_limit="2/minute"))
    try:
        client = limited.test_client()
        # The test client is 127.0.0.1, a trusted proxy: X-Forwarded-For names the client.
        first = {"X-Forwarded-For": "203.0.113.7"}
        for n in range(2):
            assert client.post(TRACK, json={"events": [event(event_id=str(n))]},
                               headers=first).status_code == 202
        refused = client.post(TRACK, json={"events": [event(event_id="x")]}, headers=first)
        assert refused.status_code == 429
        assert refused.json["type"] == "urn:shop:problem:too-many-requests"
        assert int(refused.headers["Retry-After"]) > 0
        other = {"X-Forwarded-For": "203.0.113.8"}
        assert client.post(TRACK, json={"events": [event(event_id="y")]},
                           headers=other).status_code == 202
        assert count(limited.extensions["db"]) == 3
    finally:
        limited.extensions["db"].dispose()


def test_the_openapi_document_describes_tracking(client):
    document = client.get("/openapi.json").json
    post = document["paths"][TRACK]["post"]
    assert post["security"] == [{}, {"bearerAuth": []}]
    assert {"202", "413", "422", "429"} <= set(post["responses"])
    schemas = document["components"]["schemas"]
    assert schemas["TrackBatch"]["properties"]["events"]["maxItems"] == 100
    assert set(schemas["TrackEvent"]["properties"]["type"]["enum"]) >= {
        "page_view", "click", "search", "add_to_cart", "error", "anomaly"}
