"""The pages' calls go to the gateway, except the flash-sale ones: those go to the gateway's
flash-sale pool, as the ingress routes a client app's (so a storm of buyers pressing
抢购 on the storefront waits on the pool, not before the shoppers browsing)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shop_web.gateway_client import Gateway


class Recorder(ThreadingHTTPServer):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Recorder

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append((self.command, self.path))
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[Recorder, Recorder]]:
    gateway, flash_pool = Recorder(), Recorder()
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (gateway,
                                                                                flash_pool)]
    for thread in threads:
        thread.start()
    yield gateway, flash_pool
    for server in (gateway, flash_pool):
        server.shutdown()
        server.server_close()


def test_flash_sale_calls_go_to_the_flash_pool_and_the_rest_to_the_gateway(servers):
    gateway, flash_pool = servers
    client = Gateway(gateway.url, (2, 5), 2, flash_pool.url)
    client.send("POST", "/flash-sales/s1/items/SKU-1/attempts", json={"quantity": 1})
    client.send("GET", "/flash-sales/attempts/a1")
    client.send("GET", "/flash-sales")
    client.send("GET", "/products/7")
    client.send("POST", "/orders", json={})
    assert flash_pool.seen == [("POST", "/api/v1/flash-sales/s1/items/SKU-1/attempts"),
                               ("GET", "/api/v1/flash-sales/attempts/a1"),
                               ("GET", "/api/v1/flash-sales")]
    assert gateway.seen == [("GET", "/api/v1/products/7"), ("POST", "/api/v1/orders")]


def test_without_a_flash_pool_everything_goes_to_the_gateway(servers):
    gateway, flash_pool = servers
    client = Gateway(gateway.url, (2, 5), 2)
    client.send("POST", "/flash-sales/s1/items/SKU-1/attempts", json={"quantity": 1})
    assert gateway.seen == [("POST", "/api/v1/flash-sales/s1/items/SKU-1/attempts")]
    assert flash_pool.seen == []
