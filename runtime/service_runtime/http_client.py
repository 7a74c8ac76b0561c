"""One pooled HTTP session for calls to other processes (a service, the gateway)."""

from __future__ import annotations

import os
from http.cookiejar import DefaultCookiePolicy

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ProtocolError
from urllib3.util.retry import Retry

from service_runtime import tracing


class TracedSession(requests.Session):
    """A session that sends the current trace context (``traceparent``) with each call,
    replacing any the caller copied (the gateway forwards a client's headers: upstream
    continues the gateway's own span)."""

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        prepared = super().prepare_request(request)
        tracing.inject(prepared.headers)
        return prepared


NO_RETRY = Retry(0, read=False)


class RetryDroppedConnection(Retry):
    """Sends a GET, HEAD or OPTIONS again, once, when the connection was dropped before an
    answer came: a kept-alive connection that the peer closed as idle just as the request
    went out (the peer never saw it), or a peer process that died with it. Nothing else is
    retried: not a timeout (the peer may still be working, and waiting twice as long helps
    nobody), not a refused connection, not a method that changes state."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # Retry.new() rebuilds the object from its parameters, so they all pass through.
        kwargs = {"total": 1, "connect": 0, "read": 1, "status": 0, "other": 0,
                  "redirect": False, "raise_on_status": False,
                  "allowed_methods": frozenset({"GET", "HEAD", "OPTIONS"}), **kwargs}
        super().__init__(**kwargs)

    def increment(self, method=None, url=None, response=None, error=None,  # type: ignore[no-untyped-def]
                  _pool=None, _stacktrace=None) -> Retry:
        if (isinstance(error, ProtocolError) and self.total and method
                and self._is_method_retryable(method)):
            return super().increment(method, url, response, error, _pool, _stacktrace)
        return NO_RETRY.increment(method, url, response, error, _pool, _stacktrace)


def pooled_session(pool_size: int, hosts: int = 16) -> requests.Session:
    """Keep-alive connections, up to ``pool_size`` per host and ``hosts`` hosts.

    Shared by every caller of a process, so it never keeps a cookie: one kept from an
    answer would be sent with the next caller's request (a shopper's session handed to the
    next visitor). Peers are named by configuration, so the environment's proxy settings
    and ``~/.netrc`` are not looked up (requests would do it again for every request); a
    CA bundle named the way requests reads it still applies. A read is sent again once if
    its connection was dropped before any answer (:class:`RetryDroppedConnection`); any
    other retry is the caller's to decide. Every call carries the current trace context
    (:mod:`service_runtime.tracing`).
    """
    session = TracedSession()
    session.trust_env = False
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
        "CURL_CA_BUNDLE") or True
    adapter = HTTPAdapter(pool_connections=hosts, pool_maxsize=pool_size,
                          max_retries=RetryDroppedConnection())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
