"""gunicorn's threaded worker, answering the errors it writes itself as problem+json.

gunicorn refuses some requests before any application runs (a request line over
``limit_request_line`` is a 414, too many or too large headers a 431, a malformed
request a 400) and writes those answers as HTML. Every other error of the platform
is ``application/problem+json``; so are these.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from service_runtime.errors import PROBLEM_JSON, TYPE_PREFIX, http_slug

SLUGS = {400: "malformed-request", 500: "internal-error"}


def problem_bytes(status: int, reason: str, detail: str) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection (gunicorn's contract)."""
    body = {"type": TYPE_PREFIX + SLUGS.get(status, http_slug(status)), "title": reason,
            "status": status}
    if detail:
        body["detail"] = detail[:200]  # the offending request line may be 8 KiB long
    payload = json.dumps(body).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: {PROBLEM_JSON}\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode("latin-1") + payload


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    util.write_nonblock(sock, problem_bytes(status_int, reason, mesg))


class ProblemThreadWorker(ThreadWorker):
    def init_process(self) -> None:
        # Worker.handle_error ends with util.write_error(...), its only caller; this
        # process serves nothing but this worker, so its answers are replaced here.
        util.write_error = write_problem
        super().init_process()
