"""Traces across HTTP and Kafka: a request's trace goes with the events it writes, through
the relay and a real broker, into the consumer, and on with what the handler emits."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
import requests
import tally_service
from flask import Blueprint, jsonify
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from service_runtime import tracing
from service_runtime.app import create_app
from service_runtime.config import DeliverySettings
from service_runtime.consumer import EventConsumer, Handlers
from service_runtime.http_client import pooled_session
from service_runtime.logs import ContextFilter
from service_runtime.outbox import Outbox, OutboxRelay
from service_runtime.tables import outbox_messages
from service_runtime.testing.kafka_tools import envelope, read_topic

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"

outbox = Outbox("tally")


@pytest.fixture
def spans():
    """Spans recorded in memory (the SDK's exporter) instead of exported."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider.get_tracer("test"), "tally")
    yield exporter
    tracing.install(None)


@pytest.fixture
def db(tally_db):
    return tally_db


@pytest.fixture
def app(db):
    routes = Blueprint("emit", __name__)

    @routes.post("/streams/<stream>/events")
    def emit(stream: str):
        with db.transaction() as session:
            outbox.emit(session, tally_service.EVENT, key=stream, data={"stream": stream, "seq": 0})
        return jsonify(trace=tracing.current_ids()[0]), 201

    app = create_app("tally", db=db)
    app.register_blueprint(routes)  # a plain blueprint: no OpenAPI document needed here
    return app


def traceparents(db) -> list[str | None]:
    with db.read() as session:
        return list(session.scalars(select(outbox_messages.c.traceparent)
                                    .order_by(outbox_messages.c.id)))


def header(record, name: str) -> str | None:
    return next((v.decode() for k, v in record.headers if k == name), None)


def test_one_trace_from_a_request_through_the_outbox_and_broker_into_the_next_event(
        spans, db, app, kafka_settings):
    answer = app.test_client().post("/streams/s0/events", headers={"traceparent": TRACEPARENT})
    assert answer.status_code == 201 and answer.json["trace"] == TRACE_ID
    [server] = spans.get_finished_spans()
    assert server.name == "POST /streams/<stream>/events"  # the route template, not the path
    assert server.kind == SpanKind.SERVER
    assert server.parent.span_id == int(CALLER_SPAN, 16)
    assert server.attributes["http.response.status_code"] == 201
    # The row was written in the request's span: it names that span as the parent.
    assert traceparents(db) == [f"00-{TRACE_ID}-{server.context.span_id:016x}-01"]

    relay = OutboxRelay("tally", db, kafka_settings, DeliverySettings())
    try:
        assert relay.publish_pending() == 1
        [record] = read_topic(kafka_settings, tally_service.EVENT)
        assert header(record, "traceparent") == traceparents(db)[0]

        seen = []

        def forward(session, event):
            seen.append(tracing.current_ids()[0])
            if event.data["seq"] == 0:  # the next step of the saga
                outbox.emit(session, tally_service.EVENT, key="s1", data={"stream": "s1", "seq": 1})

        handlers = Handlers()
        handlers.on(tally_service.EVENT)(forward)
        consumer = EventConsumer("tally", "tally-group", db, handlers, kafka_settings,
                                 DeliverySettings())
        outcome = consumer.handle_record(record.topic, record.key, record.value,
                                         list(record.headers), "t/0/0")
        assert outcome == "applied" and seen == [TRACE_ID]
        handled = spans.get_finished_spans()[-1]
        assert handled.kind == SpanKind.CONSUMER
        assert handled.name == f"{tally_service.EVENT} process"
        assert handled.context.trace_id == int(TRACE_ID, 16)
        assert handled.parent.span_id == server.context.span_id  # child of the producer
        # What the handler emitted carries the handler's span on, to the broker too.
        assert traceparents(db)[1] == f"00-{TRACE_ID}-{handled.context.span_id:016x}-01"
        assert relay.publish_pending() == 1
        records = read_topic(kafka_settings, tally_service.EVENT)
        assert sorted(header(r, "traceparent") for r in records) == sorted(traceparents(db))
        relay.mark_published()
    finally:
        relay.close()


def test_off_nothing_is_recorded_but_a_callers_trace_is_passed_on(db, app):
    assert not tracing.is_enabled()
    client = app.test_client()
    answer = client.post("/streams/s0/events", headers={"traceparent": TRACEPARENT})
    assert answer.json["trace"] == TRACE_ID
    assert client.post("/streams/s0/events").json["trace"] is None
    assert client.post("/streams/s0/events", headers={"traceparent": "garbage"}).status_code == 201
    # Unchanged: no span of this service's stands between the caller and the consumer.
    assert traceparents(db) == [TRACEPARENT, None, None]


def test_the_runtime_session_sends_the_current_trace_and_replaces_a_copied_one(spans):
    session = pooled_session(1)
    outside = session.prepare_request(requests.Request("GET", "http://peer/x"))
    assert "traceparent" not in outside.headers
    scope = tracing.start_server_span({"traceparent": TRACEPARENT}, "GET /x", {})
    try:
        inside = session.prepare_request(requests.Request(
            "GET", "http://peer/x", headers={"traceparent": f"00-{'1' * 32}-{'2' * 16}-01"}))
    finally:
        tracing.finish(scope)
    [span] = spans.get_finished_spans()
    assert inside.headers["traceparent"] == f"00-{TRACE_ID}-{span.context.span_id:016x}-01"


def test_log_lines_carry_the_trace_and_span_ids_when_a_span_is_current(spans):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    ContextFilter("tally").filter(record)
    assert (record.trace_id, record.span_id) == (None, None)
    scope = tracing.start_server_span({}, "GET /x", {})
    try:
        ContextFilter("tally").filter(record)
    finally:
        tracing.finish(scope)
    [span] = spans.get_finished_spans()
    assert record.trace_id == f"{span.context.trace_id:032x}"
    assert record.span_id == f"{span.context.span_id:016x}"


def test_a_server_error_is_an_error_span(spans, db):
    routes = Blueprint("boom", __name__)

    @routes.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    app = create_app("tally", db=db)
    app.register_blueprint(routes)
    assert app.test_client().get("/boom").status_code == 500
    [span] = spans.get_finished_spans()
    assert not span.status.is_ok and span.attributes["http.response.status_code"] == 500


@pytest.mark.parametrize(("environ", "on"), [
    ({}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
    ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
    ({"OTEL_TRACES_EXPORTER": "console"}, True),
    ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
    ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, False),
])
def test_tracing_is_on_only_when_the_standard_variables_ask(environ, on):
    assert tracing.enabled_by(environ) is on


CONSOLE_PROCESS = """
from opentelemetry import trace
from service_runtime import tracing
from service_runtime.app import create_app
assert tracing.configure_tracing("tally")
app = create_app("tally")
app.test_client().get("/healthz", headers={"traceparent": %r})
trace.get_tracer_provider().shutdown()  # flushes the batch, as a process's exit does
"""


def test_the_console_exporter_prints_each_span_as_json_on_standard_output():
    """OTEL_TRACES_EXPORTER=console: a process's spans can be read without a collector."""
    environ = {**os.environ, "OTEL_TRACES_EXPORTER": "console"}
    environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    done = subprocess.run([sys.executable, "-c", CONSOLE_PROCESS % TRACEPARENT], env=environ,
                          capture_output=True, text=True, timeout=60, check=True)
    decoder, text, printed = json.JSONDecoder(), done.stdout.strip(), []
    while text:  # one indented JSON document per span, one after the other
        document, end = decoder.raw_decode(text)
        printed.append(document)
        text = text[end:].lstrip()
    [span] = printed
    assert span["name"] == "GET /healthz"
    assert span["context"]["trace_id"] == f"0x{TRACE_ID}"
    assert span["parent_id"] == f"0x{CALLER_SPAN}"
    assert span["resource"]["attributes"]["service.name"] == "tally"


def test_events_in_a_dead_letter_still_finish_their_span(spans, db, kafka_settings):
    def fails(session, event):
        raise RuntimeError("never")

    handlers = Handlers()
    handlers.on(tally_service.EVENT)(fails)
    delivery = DeliverySettings(consumer_max_attempts=1)
    consumer = EventConsumer("tally", "tally-group", db, handlers, kafka_settings, delivery)
    raw = json.dumps(envelope(tally_service.EVENT, "s0", {"stream": "s0", "seq": 0})).encode()
    try:
        outcome = consumer.handle_record(kafka_settings.topic(tally_service.EVENT), b"s0", raw,
                                         [("traceparent", TRACEPARENT.encode())], "t/0/0")
    finally:
        consumer.dead_letters.close()
    assert outcome == "dead-lettered"
    [span] = spans.get_finished_spans()
    assert span.context.trace_id == int(TRACE_ID, 16) and not span.status.is_ok
