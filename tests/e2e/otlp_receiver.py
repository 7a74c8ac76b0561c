"""A small OTLP/HTTP trace receiver for the e2e stack: every process exports its spans
here (``OTEL_EXPORTER_OTLP_ENDPOINT``), and tests ask which spans a trace has."""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int  # opentelemetry.proto.trace.v1.Span.SpanKind
    start_ns: int = 0
    end_ns: int = 0

    @property
    def kind_name(self) -> str:
        return Span.SpanKind.Name(self.kind).removeprefix("SPAN_KIND_").lower()


class OtlpReceiver:
    def __init__(self) -> None:
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="otlp", daemon=True).start()

    def spans(self, trace_id: str) -> list[ReceivedSpan]:
        with self._lock:
            return [span for span in self._spans if span.trace_id == trace_id]

    def render(self, trace_id: str) -> str:
        """One trace as a tree, a line per span in start order under its parent: when it
        started (ms after the trace's first span), how long it took, the service, its kind
        and name. A span whose parent was not received (the client's) is a root."""
        spans = sorted(self.spans(trace_id), key=lambda span: span.start_ns)
        if not spans:
            return f"trace {trace_id}: no spans"
        known = {span.span_id for span in spans}
        children: dict[str, list[ReceivedSpan]] = {}
        for span in spans:
            parent = span.parent_span_id if span.parent_span_id in known else ""
            children.setdefault(parent, []).append(span)
        origin = spans[0].start_ns
        lines = [f"trace {trace_id}: {len(spans)} spans",
                 f"{'start ms':>9} {'took ms':>8}  span"]

        def walk(parent: str, depth: int) -> None:
            for span in children.get(parent, []):
                lines.append(f"{(span.start_ns - origin) / 1e6:9.1f} "
                             f"{(span.end_ns - span.start_ns) / 1e6:8.1f}  {'  ' * depth}"
                             f"{span.service} {span.kind_name} {span.name}")
                walk(span.span_id, depth + 1)

        walk("", 0)
        return "\n".join(lines)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _receive(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        received = []
        for resource_spans in request.resource_spans:
            service = next((a.value.string_value for a in resource_spans.resource.attributes
                            if a.key == "service.name"), "")
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(ReceivedSpan(
                        service, span.name, span.trace_id.hex(), span.span_id.hex(),
                        span.parent_span_id.hex(), span.kind,
                        span.start_time_unix_nano, span.end_time_unix_nano))
        with self._lock:
            self._spans.extend(received)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                receiver._receive(body)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass  # ~25 processes export every 200 ms: not worth a line each

        return Handler
