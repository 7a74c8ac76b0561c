"""The pooled session sends a read again once when its connection was dropped unanswered,
and nothing else again."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from service_runtime.http_client import pooled_session

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class Peer:
    """A socket server that handles its n-th connection as ``behaviours[n]`` says: "drop"
    reads the request and closes without a byte of answer, "answer" answers 200, "stall"
    reads the request and says nothing until the test ends."""

    def __init__(self, behaviours: list[str]) -> None:
        self.behaviours = behaviours
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        for behaviour in self.behaviours:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                self.requests.append(connection.recv(65536))
                if behaviour == "answer":
                    connection.sendall(OK)
                elif behaviour == "stall":
                    self.done.wait(10)

    def close(self) -> None:
        self.done.set()
        self.listener.close()


@pytest.fixture
def peer(request: pytest.FixtureRequest) -> Iterator[Peer]:
    server = Peer(request.param)
    yield server
    server.close()


@pytest.mark.parametrize("peer", [["drop", "answer"]], indirect=True)
def test_a_read_whose_connection_dropped_unanswered_is_sent_again_once(peer: Peer) -> None:
    answer = pooled_session(1).get(f"http://127.0.0.1:{peer.port}/orders/1", timeout=5)

    assert answer.status_code == 200 and answer.text == "ok"
    assert [r.split(b" ", 2)[:2] for r in peer.requests] == [[b"GET", b"/orders/1"]] * 2


@pytest.mark.parametrize("peer", [["drop", "drop", "answer"]], indirect=True)
def test_a_read_dropped_twice_is_a_connection_error(peer: Peer) -> None:
    with pytest.raises(requests.ConnectionError):
        pooled_session(1).get(f"http://127.0.0.1:{peer.port}/orders/1", timeout=5)

    assert len(peer.requests) == 2


@pytest.mark.parametrize("peer", [["drop", "answer"]], indirect=True)
def test_a_write_whose_connection_dropped_is_not_sent_again(peer: Peer) -> None:
    with pytest.raises(requests.ConnectionError):
        pooled_session(1).post(f"http://127.0.0.1:{peer.port}/orders", json={}, timeout=5)

    assert len(peer.requests) == 1


@pytest.mark.parametrize("peer", [["stall", "answer"]], indirect=True)
def test_a_read_that_timed_out_is_not_sent_again(peer: Peer) -> None:
    with pytest.raises(requests.ReadTimeout):
        pooled_session(1).get(f"http://127.0.0.1:{peer.port}/orders/1", timeout=(2, 0.3))

    assert len(peer.requests) == 1
