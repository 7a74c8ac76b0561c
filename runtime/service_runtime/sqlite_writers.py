"""SQLite writers queue on a file lock instead of on SQLite's sleeping retries.

SQLite lets one transaction write at a time. A writer that finds the write lock taken is
retried by SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 ... up to 100 ms
between tries without knowing when the lock comes free. Under a steady stream of short
writers (an API placing orders, its worker applying events in the same file) a waiter
keeps sleeping for tens of milliseconds after the lock was released, while newcomers on
their first short sleep overtake it. Measured in ``bench/stack.py``'s saga at 20 orders/s:
the order API spent two thirds of ``POST /orders`` and the order worker a third of its
handling in ``BEGIN IMMEDIATE``.

So every write transaction first takes an exclusive ``flock(2)`` on ``<database>-writers``
with a blocking call: the kernel wakes the next waiter the moment the holder's ``COMMIT``
or ``ROLLBACK`` (or its death) releases it. SQLite's own lock stays the authority and its
busy timeout the backstop: the file lock only orders the writers that use it. A thread
that already holds the lock through another connection to the same file does not queue
behind itself; it waits on SQLite's busy timeout as before.

``fcntl.flock`` is used directly: the file-lock libraries (``filelock``) poll with sleeps
when they wait, which is the behaviour this replaces.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading

_held = threading.local()  # per thread: the lock files it holds


def _held_by_this_thread() -> set[str]:
    held = getattr(_held, "paths", None)
    if held is None:
        held = _held.paths = set()
    return held


class QueuedWriterConnection(sqlite3.Connection):
    """A pysqlite connection whose write transactions queue on a lock file.

    Pass as ``sqlite3.connect(factory=...)``; call :meth:`use_lock_file` once connected
    and :meth:`queue_for_write` just before ``BEGIN IMMEDIATE``. ``commit``, ``rollback``
    and ``close`` release the lock.
    """

    _lock_path: str | None = None
    _lock_fd: int | None = None
    _lock_pid = 0
    _holding: set[str] | None = None  # the holding thread's set, while held

    def use_lock_file(self, path: str) -> None:
        self._lock_path = path

    def queue_for_write(self) -> None:
        """Wait for the lock file (no-op without one, or when this thread holds it)."""
        path = self._lock_path
        held = _held_by_this_thread()
        if path is None or path in held or self._holding is not None:
            return
        if self._lock_fd is None or self._lock_pid != os.getpid():
            # A forked child must not share its parent's open file (and so its lock).
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_pid = os.getpid()
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        held.add(path)
        self._holding = held

    def release_write_lock(self) -> None:
        holding, self._holding = self._holding, None
        if holding is not None and self._lock_fd is not None:
            holding.discard(self._lock_path or "")
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_write_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_write_lock()

    def close(self) -> None:
        try:
            self.release_write_lock()
            if self._lock_fd is not None and self._lock_pid == os.getpid():
                os.close(self._lock_fd)
            self._lock_fd = None
        finally:
            super().close()


def lock_file_for(connection: sqlite3.Connection) -> str | None:
    """``<database file>-writers`` for a connection to a file; None in memory."""
    for _seq, name, file in connection.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return f"{file}-writers" if file else None
    return None
