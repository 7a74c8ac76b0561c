"""A worker's ops endpoints (service_runtime.ops): the answers of an API's, without Flask."""

from __future__ import annotations

import threading

import pytest
import requests

from service_runtime.ops import make_ops_server, ops_app
from service_runtime.readiness import ReadinessCheck


def down() -> None:
    raise ConnectionError("down")


def serve(checks: list[ReadinessCheck]):  # type: ignore[no-untyped-def]
    server = make_ops_server("127.0.0.1", 0, ops_app("probe-worker", checks))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def ops():
    servers = []

    def start(*checks: ReadinessCheck) -> str:
        servers.append(serve(list(checks)))
        return f"http://127.0.0.1:{servers[-1].server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_health_and_readiness_as_json(ops):
    base = ops(ReadinessCheck("database", lambda: None),
               ReadinessCheck("cache", down, required=False))
    health = requests.get(f"{base}/healthz", timeout=5)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert health.headers["Content-Type"] == "application/json"
    ready = requests.get(f"{base}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready",
                            "checks": {"database": "ok", "cache": "unavailable: down"}}


def test_a_failing_required_check_makes_it_unready(ops):
    base = ops(ReadinessCheck("broker", down))
    ready = requests.get(f"{base}/readyz", timeout=5)
    assert ready.status_code == 503
    assert ready.json() == {"status": "unready", "checks": {"broker": "unavailable: down"}}


def test_metrics_count_the_probes(ops):
    base = ops()
    requests.get(f"{base}/healthz", timeout=5)
    metrics = requests.get(f"{base}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert ('http_requests_total{method="GET",route="/healthz",service="probe-worker",'
            'status="200"}') in metrics.text


def test_anything_else_is_a_problem(ops):
    base = ops()
    nowhere = requests.get(f"{base}/api/v1/orders", timeout=5)
    assert nowhere.status_code == 404
    assert nowhere.headers["Content-Type"] == "application/problem+json"
    assert nowhere.json() == {"type": "urn:shop:problem:not-found", "title": "Not Found",
                              "status": 404}
    posted = requests.post(f"{base}/healthz", data=b"{}", timeout=5)
    assert posted.status_code == 405
    assert posted.headers["Allow"] == "GET, HEAD"
    assert posted.json()["type"] == "urn:shop:problem:method-not-allowed"
    head = requests.head(f"{base}/healthz", timeout=5)
    assert (head.status_code, head.content) == (200, b"")
