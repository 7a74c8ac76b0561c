"""Forwarding a request to its service over a pooled connection."""

from __future__ import annotations

from urllib.parse import quote, unquote

import requests
from flask import Response, request

from api_gateway.route_metrics import UpstreamFailure, record_failure
from service_runtime import context
from service_runtime.app import CORRELATION_ID_HEADER, REQUEST_ID_HEADER
from service_runtime.errors import problem_response

# Headers that belong to one connection, not to the request (RFC 9110 7.6.1).
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade", "host", "content-length",
}


def upstream_path() -> str:
    """The path as the client encoded it: decoded, an id's ``%3F`` or ``%23`` would turn
    into a query string or a fragment upstream.

    gunicorn and werkzeug keep the request target (``RAW_URI``/``REQUEST_URI``); it is
    used when it is the origin form of this very path, else the path is encoded again.
    """
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    raw_path = raw.split("?", 1)[0]
    if raw_path.startswith("/") and unquote(raw_path, errors="replace") == request.path:
        return raw_path
    return quote(request.path, safe="/:@!$&'()*+,;=-._~")


def forward(session: requests.Session, service: str, base_url: str,
            timeouts: tuple[float, float]) -> Response:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    headers[REQUEST_ID_HEADER] = context.request_id.get() or ""
    headers[CORRELATION_ID_HEADER] = context.correlation_id.get() or ""
    forwarded_for = request.headers.get("X-Forwarded-For")
    client = request.remote_addr or ""
    headers["X-Forwarded-For"] = f"{forwarded_for}, {client}" if forwarded_for else client
    try:
        upstream = session.request(
            request.method,
            base_url + upstream_path(),
            params=request.query_string,
            data=request.get_data(),
            headers=headers,
            timeout=timeouts,
            allow_redirects=False,
        )
    except requests.Timeout:
        record_failure(service, UpstreamFailure.TIMEOUT)
        return problem_response(504, "upstream-timeout", "The service took too long to answer",
                                f"{service} did not answer in time", service=service)
    except requests.ConnectionError:
        record_failure(service, UpstreamFailure.UNAVAILABLE)
        return problem_response(503, "service-unavailable", "Service unavailable",
                                f"{service} is not reachable", service=service,
                                headers={"Retry-After": "5"})
    response = Response(upstream.content, status=upstream.status_code)
    for name, value in upstream.headers.items():
        if name.lower() not in HOP_BY_HOP | {"content-encoding", "set-cookie"}:
            response.headers[name] = value
    # requests joins repeated headers with commas, which breaks cookies: pass each one.
    for cookie in upstream.raw.headers.getlist("Set-Cookie") if upstream.raw else ():
        response.headers.add("Set-Cookie", cookie)
    return response
