"""Group commit: the batches of concurrent requests appended in one transaction.

A commit waits for the disk (``fsync``), and SQLite lets one transaction write at a
time, so a commit per batch caps a process at a few hundred batches a second however
small they are. Here each request hands its rows to the process's appender thread and
waits; the thread takes every batch waiting, appends them with one multi-row INSERT in
one transaction, and answers each request with the rows of its own it kept. A request
is answered only after the commit: what it is told was kept, was.

Across the batches of one round, an event (session, event id) sent twice is kept once,
and counted for the first batch that sent it.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from service_runtime.errors import ServiceUnavailable

Key = tuple[str, str]
# Inserts ``rows`` and answers the keys of those it kept (not held before).
Insert = Callable[[list[dict[str, Any]]], set[Key]]


@dataclass
class _Batch:
    rows: list[dict[str, Any]]
    done: threading.Event = field(default_factory=threading.Event)
    kept: set[Key] = field(default_factory=set)
    error: BaseException | None = None


class Appender:
    """One per process (made anew in a forked child): ``append(rows)`` blocks until the
    rows are committed and answers how many of them were new."""

    def __init__(self, insert: Insert, max_rows: int = 2000, timeout_s: float = 30) -> None:
        self.insert, self.max_rows, self.timeout_s = insert, max_rows, timeout_s
        self._lock = threading.Lock()
        self._pid = 0
        self._queue: queue.SimpleQueue[_Batch] = queue.SimpleQueue()

    def append(self, rows: list[dict[str, Any]]) -> int:
        batch = _Batch(rows)
        self._running().put(batch)
        if not batch.done.wait(self.timeout_s):
            raise ServiceUnavailable("events are not being stored in time; send them again")
        if batch.error is not None:
            raise batch.error
        return sum(1 for row in rows if (row["session_id"], row["event_id"]) in batch.kept)

    def _running(self) -> queue.SimpleQueue[_Batch]:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked worker: a thread of its own
                self._pid, self._queue = os.getpid(), queue.SimpleQueue()
                threading.Thread(target=self._run, args=(self._queue,), daemon=True,
                                 name="analytics-appender").start()
            return self._queue

    def _run(self, waiting: queue.SimpleQueue[_Batch]) -> None:
        while True:
            round_ = [waiting.get()]
            size = len(round_[0].rows)
            while size < self.max_rows:
                try:
                    round_.append(waiting.get_nowait())
                except queue.Empty:
                    break
                size += len(round_[-1].rows)
            self._write(round_)

    def _write(self, round_: list[_Batch]) -> None:
        rows: dict[Key, dict[str, Any]] = {}
        owner: dict[Key, _Batch] = {}
        for batch in round_:
            for row in batch.rows:
                key = (row["session_id"], row["event_id"])
                if key not in rows:
                    rows[key], owner[key] = row, batch
        try:
            kept = self.insert(list(rows.values()))
        except Exception as error:  # every request of the round hears of it
            for batch in round_:
                batch.error = error
                batch.done.set()
            return
        for key in kept:
            owner[key].kept.add(key)
        for batch in round_:
            batch.done.set()
