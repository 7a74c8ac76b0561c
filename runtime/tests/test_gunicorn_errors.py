"""The answers gunicorn writes itself, before any app runs, over a real gunicorn."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from service_runtime.testing.processes import ServiceProcess, free_port

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def server(tmp_path_factory):  # type: ignore[no-untyped-def]
    port = free_port()
    process = ServiceProcess(
        "tally-api",
        [sys.executable, "-m", "gunicorn", "-c", "python:service_runtime.gunicorn_conf",
         "tally_service:create_app()"],
        {"PORT": str(port), "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2",
         "PYTHONPATH": str(HERE)},
        tmp_path_factory.mktemp("gunicorn"), cwd=HERE).start()
    try:
        process.wait_healthy(f"http://127.0.0.1:{port}/healthz", timeout=60)
        yield port
    finally:
        process.terminate()


def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the answer to the end (gunicorn closes after an error)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip()
               for k, v in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(("request_bytes", "status", "slug"), [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request-uri-too-long"),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(150))
     + b"\r\n", 431, "request-header-fields-too-large"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 9000 + b"\r\n\r\n", 431,
     "request-header-fields-too-large"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n", 400, "malformed-request"),
])
def test_errors_gunicorn_answers_itself_are_problem_json(server, request_bytes, status, slug):
    code, headers, body = exchange(server, request_bytes)
    assert code == status
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["type"] == f"urn:shop:problem:{slug}"
    assert problem["title"]


def test_ordinary_requests_still_reach_the_app(server):
    code, _, body = exchange(
        server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert code == 200 and json.loads(body) == {"status": "ok"}
