"""An Idempotency-Key is bound to the request it first came with."""

from __future__ import annotations

import pytest
from flask import Flask, jsonify
from sqlalchemy import String, UniqueConstraint, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_runtime.db import Database
from service_runtime.http import idempotency_key
from service_runtime.idempotency import (
    IdempotencyKey,
    IdempotencyKeyReused,
    create_once,
    idempotency_columns,
)

# -- the fingerprint of a request ------------------------------------------------------


@pytest.fixture
def client():
    """Answers the key and fingerprint ``idempotency_key()`` reads from the request."""
    app = Flask(__name__)

    @app.route("/things", methods=["POST", "PUT"])
    @app.route("/things/<thing_id>", methods=["POST"])
    def things(thing_id: str | None = None):  # type: ignore[no-untyped-def]
        key = idempotency_key()
        return jsonify(None if key is None else {"key": key.value,
                                                 "fingerprint": key.fingerprint})

    return app.test_client()


def fingerprint(client, path: str = "/things", method: str = "POST", **sent) -> str:  # type: ignore[no-untyped-def]
    response = client.open(path, method=method, headers={"Idempotency-Key": "k-1"}, **sent)
    assert response.status_code == 200
    assert response.json["key"] == "k-1"
    return response.json["fingerprint"]


def test_the_same_json_sent_differently_is_the_same_request(client):
    first = fingerprint(client, json={"sku": "KETTLE", "quantity": 1, "tags": ["a", "b"]})
    spaced = fingerprint(client, data='{ "tags" : ["a","b"],\n "quantity": 1, "sku": "KETTLE" }',
                         content_type="application/json")
    escaped = fingerprint(client, data='{"sku":"\\u004bETTLE","quantity":1,"tags":["a","b"]}',
                          content_type="application/json")
    assert first == spaced == escaped
    assert len(first) == 64


@pytest.mark.parametrize(("path", "method", "sent"), [
    ("/things", "POST", {"json": {"sku": "KETTLE", "quantity": 2}}),
    ("/things", "POST", {"json": {"sku": "KETTLE", "quantity": 1, "note": None}}),
    ("/things", "POST", {"json": [{"sku": "KETTLE", "quantity": 1}]}),
    ("/things", "POST", {"json": {"sku": "KETTLE", "quantity": "1"}}),
    ("/things", "POST", {"data": "sku=KETTLE&quantity=1",
                         "content_type": "application/x-www-form-urlencoded"}),
    ("/things", "PUT", {"json": {"sku": "KETTLE", "quantity": 1}}),
    ("/things/t1", "POST", {"json": {"sku": "KETTLE", "quantity": 1}}),
])
def test_another_method_path_or_body_is_another_request(client, path, method, sent):
    first = fingerprint(client, json={"sku": "KETTLE", "quantity": 1})
    assert fingerprint(client, path, method, **sent) != first


def test_bodies_that_are_not_json_are_fingerprinted_as_sent(client):
    form = {"data": "a=1&b=2", "content_type": "application/x-www-form-urlencoded"}
    assert fingerprint(client, **form) == fingerprint(client, **form)
    assert fingerprint(client, **form) != fingerprint(
        client, data="b=2&a=1", content_type="application/x-www-form-urlencoded")
    assert fingerprint(client) != fingerprint(client, json={})


def test_without_the_header_there_is_no_key(client):
    response = client.post("/things", json={"sku": "KETTLE"})
    assert response.status_code == 200 and response.json is None


# -- create_once ---------------------------------------------------------------------


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)


@pytest.fixture
def db(new_database):
    database = Database(new_database("idempotency"))
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def maker(db: Database, key: IdempotencyKey | None, made: list[str], user_id: str = "alice"):
    def create() -> Thing:
        with db.transaction() as session:
            thing = Thing(id=f"thing-{len(made) + 1}", user_id=user_id,
                          **idempotency_columns(key))
            session.add(thing)
        made.append(thing.id)
        return thing
    return create


def count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Thing))


def test_the_same_key_and_request_replays_the_first_result(db):
    made: list[str] = []
    key = IdempotencyKey("k-1", "a" * 64)
    first, created = create_once(db, Thing, "alice", key, maker(db, key, made))
    again, created_again = create_once(db, Thing, "alice", key, maker(db, key, made))
    assert (created, created_again) == (True, False)
    assert again.id == first.id and made == [first.id]
    with db.read() as session:
        assert session.get(Thing, first.id).idempotency_fingerprint == "a" * 64


def test_the_same_key_with_another_request_is_refused_and_creates_nothing(db):
    made: list[str] = []
    first = IdempotencyKey("k-1", "a" * 64)
    create_once(db, Thing, "alice", first, maker(db, first, made))
    other = IdempotencyKey("k-1", "b" * 64)
    with pytest.raises(IdempotencyKeyReused) as refused:
        create_once(db, Thing, "alice", other, maker(db, other, made))
    assert refused.value.status == 422
    assert refused.value.slug == "idempotency-key-reused"
    assert made == ["thing-1"] and count(db) == 1
    # The key belongs to one user: another user's request with it is their own.
    _, created = create_once(db, Thing, "bob", other, maker(db, other, made, "bob"))
    assert created


def test_rows_stored_before_fingerprints_were_kept_replay_for_their_key(db):
    with db.transaction() as session:
        session.add(Thing(id="old", user_id="alice", idempotency_key="k-1"))
    made: list[str] = []
    key = IdempotencyKey("k-1", "a" * 64)
    found, created = create_once(db, Thing, "alice", key, maker(db, key, made))
    assert (found.id, created, made) == ("old", False, [])


def test_without_a_key_every_call_creates(db):
    made: list[str] = []
    for _ in range(2):
        assert create_once(db, Thing, "alice", None, maker(db, None, made))[1]
    assert count(db) == 2


def test_a_concurrent_different_request_with_the_key_is_refused_once_the_first_commits(db):
    """The loser of the unique constraint finds the winner's row; its body differs, so it
    gets the 422, not the winner's result."""
    winner = IdempotencyKey("k-1", "a" * 64)
    loser = IdempotencyKey("k-1", "b" * 64)

    def create_after_the_winner() -> Thing:
        # The winner commits between the loser's look and the loser's insert.
        with db.transaction() as session:
            session.add(Thing(id="winner", user_id="alice", **idempotency_columns(winner)))
        with db.transaction() as session:
            session.add(Thing(id="loser", user_id="alice", **idempotency_columns(loser)))
        raise AssertionError("the unique constraint lets only one row in")

    with pytest.raises(IdempotencyKeyReused):
        create_once(db, Thing, "alice", loser, create_after_the_winner)
    with db.read() as session:
        assert session.scalars(select(Thing.id)).all() == ["winner"]
