"""Checks every service's HTTP API must pass, for each service's own tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient

from service_runtime.migrate import upgrade
from service_runtime.service import ServiceDefinition


@contextmanager
def migrated_app(definition: ServiceDefinition, create_app: Callable[..., Flask], url: str,
                 **kwargs: object) -> Iterator[Flask]:
    """The service's app on a freshly migrated database; its engine disposed afterwards."""
    upgrade(definition, url)
    app = create_app(database=url, **kwargs)
    try:
        yield app
    finally:
        app.extensions["db"].dispose()


def assert_ops_endpoints(client: FlaskClient) -> None:
    """Health, readiness with a reachable database, metrics, and a 404 problem."""
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
    assert missing.content_type == "application/problem+json"
    assert missing.get_json()["status"] == 404
