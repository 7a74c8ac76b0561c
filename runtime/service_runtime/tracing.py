"""Distributed traces: one checkout is one trace, across HTTP and Kafka (W3C TraceContext).

Where the context travels:

- HTTP: the app factory continues the caller's ``traceparent`` (the gateway: the
  client's, if it sent one) and the runtime's HTTP session (:mod:`service_runtime.http_client`)
  sends the current one with every call to another process.
- Events: :class:`~service_runtime.outbox.Outbox` stores the writer's ``traceparent``
  with each row (same transaction), the relay sends it as the Kafka header
  ``traceparent``, and the consumer handles each event under it, so the events a
  handler emits carry it on to the next step of the saga.

Off by default. Spans are recorded and exported (OTLP over HTTP, BatchSpanProcessor)
only when the standard OpenTelemetry variables ask for it: ``OTEL_TRACES_EXPORTER=otlp``
(``console``: JSON on standard output, for a look without a collector; ``otlp,console``
both) or an ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``
(``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none`` switch it off again);
the exporter reads the rest of them itself. ``service.name`` is the service.

Off, nothing is recorded and no span object is made, but an incoming ``traceparent``
is still passed on unchanged (made current for the request or the handled event): a
service without tracing does not break the trace of those around it. What that costs:
a dictionary look-up per request or record when no ``traceparent`` came, and parsing
one header when one did.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_PROPAGATOR = TraceContextTextMapPropagator()


class _State:
    tracer: Tracer | None = None  # None: tracing is off in this process
    service: str | None = None


_state = _State()


def enabled_by(environ: Mapping[str, str]) -> bool:
    """Whether the standard OpenTelemetry variables in ``environ`` ask for exported traces."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = {e.strip().lower() for e in environ.get("OTEL_TRACES_EXPORTER", "").split(",")}
    if "none" in exporters:
        return False
    return bool(exporters & {"otlp", "console"}) or bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def _exporters(environ: Mapping[str, str]) -> list[Any]:
    """The span exporters ``environ`` names: OTLP/HTTP (also when only an endpoint is
    set), and ``console`` (one JSON document per span on standard output: a trace to read
    without a collector)."""
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    named = {e.strip().lower() for e in environ.get("OTEL_TRACES_EXPORTER", "").split(",")}
    exporters: list[Any] = [ConsoleSpanExporter()] if "console" in named else []
    if "otlp" in named or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter())
    return exporters


def configure_tracing(service: str, environ: Mapping[str, str] | None = None) -> bool:
    """Record and export this process's spans if the environment asks for it; return
    whether tracing is on. Once per process: the first service named keeps the process
    (several apps in one test process share one provider)."""
    if _state.tracer is not None:
        return True
    environ = os.environ if environ is None else environ
    if not enabled_by(environ):
        return False
    # Imported only when on: the SDK and the exporters are not loaded by processes that
    # do not trace.
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporters = _exporters(environ)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # for any library instrumentation too
    install(provider.get_tracer("service_runtime"), service)
    log.info("tracing on", extra={"exporter": ",".join(type(e).__name__ for e in exporters)})
    return True


def install(tracer: Tracer | None, service: str | None = None) -> None:
    """Record spans with ``tracer`` (None: off again). For tests, with the SDK's
    in-memory exporter; a process is configured by :func:`configure_tracing`."""
    _state.tracer = tracer
    _state.service = service


def is_enabled() -> bool:
    return _state.tracer is not None


@dataclass
class Scope:
    """A span (None when off: the caller's context passed through) made current until
    :func:`finish`."""

    span: Any
    token: object


def _start(parent: Context | None, name: str, kind: SpanKind,
           attributes: dict[str, Any]) -> Scope | None:
    tracer = _state.tracer
    if tracer is None:
        if parent is None:
            return None  # off and nothing to pass on: no work at all
        return Scope(None, otel_context.attach(parent))
    span = tracer.start_span(name, context=parent, kind=kind, attributes=attributes)
    return Scope(span, otel_context.attach(trace.set_span_in_context(span, parent)))


def start_server_span(headers: Mapping[str, str], name: str,
                      attributes: dict[str, Any]) -> Scope | None:
    """Continue the trace of an incoming request (its ``traceparent``, if any)."""
    parent = _PROPAGATOR.extract(headers) if headers.get(TRACEPARENT) else None
    return _start(parent, name, SpanKind.SERVER, attributes)


def start_consumer_span(headers: list[tuple[str, bytes]], name: str,
                        attributes: dict[str, Any]) -> Scope | None:
    """Continue the trace of a Kafka record (its ``traceparent`` header, if any): the
    consumer span is a child of the span that wrote the event to the outbox."""
    carrier = {}
    for key, value in headers:
        if key in (TRACEPARENT, TRACESTATE) and value:
            carrier[key] = value.decode("latin-1") if isinstance(value, bytes) else value
    parent = _PROPAGATOR.extract(carrier) if TRACEPARENT in carrier else None
    return _start(parent, name, SpanKind.CONSUMER, attributes)


def finish(scope: Scope | None, error: BaseException | str | None = None,
           attributes: dict[str, Any] | None = None) -> None:
    """End what :func:`start_server_span` or :func:`start_consumer_span` started."""
    if scope is None:
        return
    span = scope.span
    if span is not None:
        if attributes:
            span.set_attributes(attributes)
        if isinstance(error, BaseException):
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        elif error:
            span.set_status(Status(StatusCode.ERROR, error))
        span.end()
    otel_context.detach(scope.token)


def record_status(scope: Scope | None, status_code: int) -> None:
    """Note a request's answer on its span (a 5xx is an error of this span)."""
    if scope is None or scope.span is None:
        return
    scope.span.set_attribute("http.response.status_code", status_code)
    if status_code >= 500:
        scope.span.set_status(Status(StatusCode.ERROR))


def name_route(scope: Scope | None, method: str, route: str) -> None:
    """Name a request's span by a route template found after matching (the gateway's
    catch-all route proxies many: its span is named by the upstream's template)."""
    if scope is None or scope.span is None:
        return
    scope.span.update_name(f"{method} {route}")
    scope.span.set_attribute("http.route", route)


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span (or passed-through context), if any."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return (f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
            f"-{span_context.trace_flags:02x}")


def inject(headers: Any) -> None:
    """Add the current context's ``traceparent`` (and ``tracestate``) to outgoing headers."""
    _PROPAGATOR.inject(headers)


def current_ids() -> tuple[str | None, str | None]:
    """(trace id, span id) in hex of the current span, for log lines; (None, None) if none."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None, None
    return f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"
