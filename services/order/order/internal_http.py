"""One call to another service on behalf of the caller: their ``Authorization`` and the
correlation id forwarded, a short timeout, and "did not answer" as the caller's 503
problem. Shared by the cart, user and marketing clients of checkout."""

from __future__ import annotations

from typing import Any

import requests

from service_runtime import context, tracing
from service_runtime.errors import ServiceUnavailable


def call(method: str, url: str, authorization: str | None, timeout_s: float,
         unavailable: type[ServiceUnavailable], json: Any = None) -> requests.Response:
    """``method url`` (with ``json`` as the body, if any); a connection error or timeout
    raises ``unavailable``. The caller judges the status and the body."""
    headers = {"X-Correlation-ID": context.current_correlation_id()}
    if authorization:
        headers["Authorization"] = authorization
    tracing.inject(headers)  # the callee's spans join this request's trace
    try:
        return requests.request(method, url, headers=headers, json=json,
                                timeout=(timeout_s, timeout_s))
    except requests.RequestException as exc:
        raise unavailable(f"{url} did not answer") from exc
