"""One pooled HTTP session for calls to other processes (a service, the gateway)."""

from __future__ import annotations

import os
from http.cookiejar import DefaultCookiePolicy

import requests
from requests.adapters import HTTPAdapter

from service_runtime import tracing


class TracedSession(requests.Session):
    """A session that sends the current trace context (``traceparent``) with each call,
    replacing any the caller copied (the gateway forwards a client's headers: upstream
    continues the gateway's own span)."""

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        prepared = super().prepare_request(request)
        tracing.inject(prepared.headers)
        return prepared


def pooled_session(pool_size: int, hosts: int = 16) -> requests.Session:
    """Keep-alive connections, up to ``pool_size`` per host and ``hosts`` hosts.

    Shared by every caller of a process, so it never keeps a cookie: one kept from an
    answer would be sent with the next caller's request (a shopper's session handed to the
    next visitor). Peers are named by configuration, so the environment's proxy settings
    and ``~/.netrc`` are not looked up (requests would do it again for every request); a
    CA bundle named the way requests reads it still applies. No retries: a caller decides.
    Every call carries the current trace context (:mod:`service_runtime.tracing`).
    """
    session = TracedSession()
    session.trust_env = False
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
        "CURL_CA_BUNDLE") or True
    adapter = HTTPAdapter(pool_connections=hosts, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
