"""A worker's ops endpoints, ``/healthz``, ``/readyz`` and ``/metrics``, without Flask.

A worker serves nothing else, so it need not load the API stack (Flask, werkzeug,
Jinja2: about 7 MB a process) for three probes: a WSGI function served by the standard
library's ``wsgiref``, one thread per request. The answers are those of the API's ops
endpoints (:func:`service_runtime.app.ops_blueprint`): the same JSON, the same readiness
checks, problem+json for anything else, and each request counted in the HTTP metrics.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from service_runtime.errors import PROBLEM_JSON, TYPE_PREFIX
from service_runtime.metrics import HTTP_LATENCY, HTTP_REQUESTS, record_build_info, render
from service_runtime.readiness import ReadinessCheck, readiness

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

REASONS = {200: "OK", 404: "NOT FOUND", 405: "METHOD NOT ALLOWED", 503: "SERVICE UNAVAILABLE"}
ROUTES = ("/healthz", "/readyz", "/metrics")


def ops_app(service: str, checks: Iterable[ReadinessCheck]) -> WsgiApp:
    """The WSGI app of ``service``'s ops endpoints (``service`` names it in the metrics)."""
    checks = list(checks)
    record_build_info(service)

    def answer(path: str) -> tuple[int, bytes, str]:
        if path == "/healthz":
            return 200, _json({"status": "ok"}), "application/json"
        if path == "/readyz":
            document, status = readiness(checks)
            return status, _json(document), "application/json"
        body, content_type = render()
        return 200, body, content_type

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        headers: list[tuple[str, str]] = []
        if path not in ROUTES:
            status, body, content_type = 404, _problem(404, "not-found", "Not Found"), PROBLEM_JSON
        elif method not in ("GET", "HEAD"):
            status, content_type = 405, PROBLEM_JSON
            body = _problem(405, "method-not-allowed", "Method Not Allowed")
            headers.append(("Allow", "GET, HEAD"))
        else:
            status, body, content_type = answer(path)
        route = path if path in ROUTES else "unmatched"
        HTTP_REQUESTS.labels(service, method, route, str(status)).inc()
        HTTP_LATENCY.labels(service, method, route).observe(time.perf_counter() - started)
        start_response(f"{status} {REASONS[status]}", [
            ("Content-Type", content_type), ("Content-Length", str(len(body))), *headers])
        return [b"" if method == "HEAD" else body]

    return app


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode() + b"\n"


def _problem(status: int, slug: str, title: str) -> bytes:
    return _json({"type": TYPE_PREFIX + slug, "title": title, "status": status})


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a probe that hangs must not keep the worker from exiting


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line per probe (Kubernetes asks every few seconds)."""


def make_ops_server(host: str, port: int, app: WsgiApp) -> WSGIServer:
    """A server for ``app``; ``serve_forever()`` it in a thread, ``shutdown()`` to stop."""
    return make_server(host, port, app, server_class=_ThreadingServer,
                       handler_class=_QuietHandler)
