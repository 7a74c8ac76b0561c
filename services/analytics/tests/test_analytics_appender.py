"""Group commit: concurrent batches share a round, each hears what of its own was kept."""

import threading

import pytest

from analytics.appender import Appender


def rows(*keys):  # type: ignore[no-untyped-def]
    return [{"session_id": s, "event_id": e} for s, e in keys]


def test_batches_waiting_together_share_one_insert_and_each_hears_its_own():
    held = {("s", "old")}
    rounds: list[list[tuple[str, str]]] = []
    gate, entered = threading.Event(), threading.Event()

    def insert(new_rows):  # type: ignore[no-untyped-def]
        entered.set()
        gate.wait(5)  # the first round holds the thread while the others queue up
        keys = [(r["session_id"], r["event_id"]) for r in new_rows]
        rounds.append(keys)
        kept = {key for key in keys if key not in held}
        held.update(kept)
        return kept

    appender = Appender(insert)
    answers: dict[str, int] = {}

    def send(name, batch):  # type: ignore[no-untyped-def]
        answers[name] = appender.append(batch)

    first = threading.Thread(target=send, args=("first", rows(("s", "a"))))
    first.start()
    assert entered.wait(5)  # the thread is inside the first round's insert
    others = [threading.Thread(target=send, args=(name, batch)) for name, batch in (
        ("second", rows(("s", "b"), ("s", "old"))),
        ("third", rows(("s", "b"), ("s", "c"))),
    )]
    for thread in others:
        thread.start()
    while appender._queue.qsize() < 2:  # both wait for the next round
        threading.Event().wait(0.001)
    gate.set()
    for thread in (first, *others):
        thread.join(5)
    assert rounds[0] == [("s", "a")]
    # The two waiting batches went in one INSERT, ("s", "b") once, credited to the second.
    assert sorted(rounds[1]) == [("s", "b"), ("s", "c"), ("s", "old")]
    assert answers == {"first": 1, "second": 1, "third": 1}


def test_a_failed_insert_is_every_waiting_requests_error():
    def insert(_rows):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        Appender(insert).append(rows(("s", "a")))
