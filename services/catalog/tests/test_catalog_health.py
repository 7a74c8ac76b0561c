"""The catalog service skeleton answers the endpoints every service has."""

from collections.abc import Callable

from catalog.app import create_app
from catalog.definition import DEFINITION
from service_runtime.migrate import upgrade


def test_ops_endpoints_and_problem_errors(new_database: Callable[[str], str]) -> None:
    url = new_database("catalog")
    upgrade(DEFINITION, url)
    app = create_app(database=url)
    client = app.test_client()
    try:
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.get_json() == {"status": "ok"}

        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.get_json()
        assert ready.get_json()["checks"]["database"] == "ok"

        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert b"http_requests_total" in metrics.data

        missing = client.get("/api/v1/does-not-exist")
        assert missing.status_code == 404
        assert missing.content_type.startswith("application/problem+json")
        assert missing.get_json()["status"] == 404
    finally:
        app.extensions["db"].dispose()
