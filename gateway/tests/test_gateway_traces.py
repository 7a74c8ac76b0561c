"""The gateway starts or continues a client's trace and passes its own span upstream."""

from __future__ import annotations

import pytest
from flask import Flask, jsonify, request
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from api_gateway.app import create_app
from api_gateway.routes import SERVICES, Upstreams
from service_runtime import tracing
from service_runtime.auth import jwks
from service_runtime.testing.processes import served

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def gateway(signing_key):
    upstream = Flask("upstream")

    @upstream.post("/api/v1/orders")
    def orders():
        return jsonify(traceparent=request.headers.get("traceparent"))

    with served(upstream) as url:
        app = create_app(config={"AUTH_JWKS": jwks(signing_key)},
                         upstreams=Upstreams({name: url for name in SERVICES}))
        yield app.test_client()


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider.get_tracer("test"), "gateway")
    yield exporter
    tracing.install(None)


def test_the_upstream_continues_the_gateways_span_of_the_clients_trace(gateway, spans):
    answer = gateway.post("/api/v1/orders", json={},
                          headers={"traceparent": f"00-{TRACE_ID}-{CLIENT_SPAN}-01"})
    [span] = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert span.context.trace_id == int(TRACE_ID, 16)
    assert span.parent.span_id == int(CLIENT_SPAN, 16)
    # Not the client's header copied along: the gateway's own span is the parent upstream.
    assert answer.json["traceparent"] == f"00-{TRACE_ID}-{span.context.span_id:016x}-01"


def test_a_request_without_a_trace_starts_one(gateway, spans):
    answer = gateway.post("/api/v1/orders", json={})
    [span] = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert span.parent is None
    assert answer.json["traceparent"] == (
        f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}"
        f"-{span.context.trace_flags:02x}")


def test_off_the_clients_trace_is_passed_on_unchanged(gateway):
    sent = f"00-{TRACE_ID}-{CLIENT_SPAN}-01"
    assert gateway.post("/api/v1/orders", json={},
                        headers={"traceparent": sent}).json["traceparent"] == sent
    assert gateway.post("/api/v1/orders", json={}).json["traceparent"] is None
