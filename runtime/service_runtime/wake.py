"""Wake sockets: a loop with nothing to do sleeps until whoever made it work says so.

A :class:`Waiter` binds a UDP socket on loopback and registers its port under one or
more channel names, as one empty file per waiter (``<pid>-<port>``) in a directory of
the machine's temporary folder; :func:`wake` sends one empty datagram to every waiter
of the channels (in this process directly, in others through the directory, whose
listing is cached for a second). So the outbox relay sleeps until a transaction that
wrote outbox rows commits, in whichever process, and a consumer until a relay on this
machine published to one of its topics.

A wake is only ever a shortcut: datagrams can be lost, a waiter may be on another
machine or registered a moment after a sender last listed the directory, the directory
may not be writable. Every waiter therefore waits with a timeout, its fallback poll.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

LISTING_TTL_S = 1.0
DIRECTORY = Path(tempfile.gettempdir()) / f"shop-wake-{os.getuid()}"

_lock = threading.Lock()
_local: dict[str, set[Waiter]] = {}
_listings: dict[str, tuple[float, list[int]]] = {}
_sender: socket.socket | None = None


class Waiter:
    """Where one loop sleeps; ``wait`` returns early when one of its channels is woken."""

    def __init__(self, *channels: str) -> None:
        self.channels = channels
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.setblocking(False)
        self.port = self._socket.getsockname()[1]
        self._files: list[Path] = []
        with _lock:
            for channel in channels:
                _local.setdefault(channel, set()).add(self)
        for channel in channels:
            path = _channel_directory(channel) / f"{os.getpid()}-{self.port}"
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                path.touch()
                self._files.append(path)
            except OSError:
                log.warning("cannot register a wake socket; other processes cannot wake it",
                            extra={"channel": channel}, exc_info=True)

    def wake(self) -> None:
        """Make the current or next ``wait`` return at once (from any thread)."""
        _send(self.port)

    def wait(self, timeout_s: float) -> bool:
        """Sleep until woken or ``timeout_s`` passed; True if woken. Wakes that came
        meanwhile count (and are used up), so none made after a check is missed."""
        readable, _, _ = select.select([self._socket], [], [], max(0.0, timeout_s))
        woken = False
        while True:
            try:
                self._socket.recv(16)
            except (BlockingIOError, InterruptedError):
                return woken or bool(readable)
            except OSError:  # e.g. an ICMP error reported on a loopback socket
                return True
            woken = True

    def close(self) -> None:
        with _lock:
            for channel in self.channels:
                _local.get(channel, set()).discard(self)
        for path in self._files:
            with contextlib.suppress(OSError):
                path.unlink()
        self._socket.close()


def wake(channels: Iterable[str]) -> None:
    """Wake every waiter of ``channels`` on this machine (best effort, never raises)."""
    ports: set[int] = set()
    for channel in channels:
        with _lock:
            ports.update(waiter.port for waiter in _local.get(channel, ()))
        ports.update(_registered(channel))
    for port in ports:
        _send(port)


def topic_channel(topic: str, brokers: str) -> str:
    """The wake channel of the consumers of ``topic`` (its physical name) on ``brokers``
    (the bootstrap servers): stacks with brokers of their own on one machine (tests,
    benchmarks, several checkouts) name the same topics, and must not wake each other."""
    return f"topic-{brokers}-{topic}"


def _send(port: int) -> None:
    global _sender
    try:
        if _sender is None:
            _sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            _sender.setblocking(False)
        _sender.sendto(b"", ("127.0.0.1", port))
    except OSError:
        pass  # a full buffer already holds a wake; a gone waiter needs none


def _channel_directory(channel: str) -> Path:
    return DIRECTORY / channel.replace(os.sep, "_")


def _registered(channel: str) -> list[int]:
    """Ports of the channel's waiters in other processes (listed at most once a second)."""
    now = time.monotonic()
    cached = _listings.get(channel)
    if cached is not None and now - cached[0] < LISTING_TTL_S:
        return cached[1]
    ports = []
    directory = _channel_directory(channel)
    try:
        names = os.listdir(directory)
    except OSError:
        names = []
    for name in names:
        pid, _, port = name.partition("-")
        if not (pid.isdigit() and port.isdigit()) or int(pid) == os.getpid():
            continue
        if not _alive(int(pid)):  # killed without closing: its port may be anyone's now
            with contextlib.suppress(OSError):
                (directory / name).unlink()
            continue
        ports.append(int(port))
    _listings[channel] = (now, ports)
    return ports


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: alive
    return True
