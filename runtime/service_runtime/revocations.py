"""Revoked sessions: the short deny-list every token verifier consults.

An access token names its sign-in (``sid``, the refresh-token family). When a sign-in
ends (logout, a reused refresh token), the user service records the session id and
serves the list of sessions revoked within the last access-token lifetime at
``GET /internal/revocations`` (outside ``/api/v1``, so the gateway never exposes it).
Every other process keeps that list in memory, fetched incrementally in the background
about once a second, so a revoked token is refused everywhere within seconds while a
request never waits for the user service.

A process that has checked no token for ``idle_interval_s`` (10 s) fetches only that
often, so an idle stack does not keep asking. The first check after such a pause wakes
the fetcher and waits for that one fetch (a few milliseconds on a local network, at most
``catch_up_s``), so even then a sign-in ended a second ago is refused; a process that
is checking tokens fetches every second and its checks never wait.

When the user service cannot be reached the last list is kept (a token revoked during
the outage is accepted until the list can be fetched again or the token expires),
each failure is counted in ``auth_revocation_fetch_errors_total``, and the first
failure of a streak is logged. Refusing every token instead would make the whole
platform fail whenever the user service does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import requests

from service_runtime.metrics import AUTH_REVOCATION_FETCH_ERRORS, AUTH_REVOCATION_LAST_FETCH

log = logging.getLogger(__name__)

REVOCATIONS_PATH = "/internal/revocations"

# "Is this session revoked?" -- what a TokenVerifier asks for every token with a ``sid``.
RevocationCheck = Callable[[str], bool]


def revocations_url_for(jwks_url: str) -> str:
    """The deny-list lives next to the keys: same origin as the JWKS."""
    return urljoin(jwks_url, REVOCATIONS_PATH)


def revocation_check(source: Iterable[str] | RevocationCheck | None) -> RevocationCheck | None:
    """A check from what a caller (a test, the user service) configured: session ids or a
    function; None when nothing was configured."""
    if source is None or callable(source):
        return source
    revoked = frozenset(source)
    return revoked.__contains__


class RevocationFeed:
    """One process's copy of the deny-list, refreshed in the background.

    The refresher thread starts on the first check, not at import or construction (the
    gunicorn master, CLI commands and tests build apps that never verify a token), and
    again in a forked child, which does not inherit threads; a gunicorn worker starts it
    when it boots (``gunicorn_conf.post_worker_init``), so that even its first request
    knows the list. Checks read a dict that the refresher replaces whole, so they never
    lock and never wait for the network, except the first one after an idle pause.
    """

    def __init__(self, url: str, interval_s: float = 1.0, service: str = "",
                 timeout_s: float = 5.0, idle_interval_s: float = 10.0,
                 catch_up_s: float = 1.0) -> None:
        self.url = url
        self.interval_s = interval_s
        self.idle_interval_s = max(idle_interval_s, interval_s)
        self.timeout_s = timeout_s
        self.catch_up_s = catch_up_s
        self.service = service
        self._revoked: dict[str, float] = {}  # session id -> when its tokens are all expired
        self._cursor: str | None = None
        self._failing = False
        self._thread: threading.Thread | None = None
        self._owner_pid: int | None = None
        self._start_lock = threading.Lock()
        self._stopped = threading.Event()
        self._http = requests.Session()
        # The refresher sleeps on this condition. After an idle pause the list is stale
        # until the next fetch ends: a check wakes the refresher and waits for the count
        # of fetches to move.
        self._fetched = threading.Condition()
        self._fetches = 0
        self._stale = False
        self._last_check = time.monotonic()

    def __call__(self, session_id: str) -> bool:
        self._ensure_running()
        self._last_check = time.monotonic()
        if self._stale:
            self._catch_up()
        expires_at = self._revoked.get(session_id)
        return expires_at is not None and expires_at > time.time()

    @property
    def running(self) -> bool:
        return (self._thread is not None and self._thread.is_alive()
                and self._owner_pid == os.getpid())

    def _ensure_running(self) -> None:
        if self.running or self._stopped.is_set():
            return
        with self._start_lock:
            if self.running:
                return
            self._owner_pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="revocation-feed",
                                            daemon=True)
            self._thread.start()

    def start(self) -> None:
        """Start fetching now rather than at the first token (a gunicorn worker at boot)."""
        self._ensure_running()

    def stop(self) -> None:
        with self._fetched:
            self._stopped.set()
            self._fetched.notify_all()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self.refresh()
            with self._fetched:
                self._fetches += 1
                self._stale = False
                self._fetched.notify_all()
                if self._stopped.is_set():
                    break
                if time.monotonic() - self._last_check < self.idle_interval_s:
                    self._fetched.wait(self.interval_s)
                else:
                    self._stale = True
                    self._fetched.wait(self.idle_interval_s)

    def _catch_up(self) -> None:
        """Wake the idle refresher and wait (at most ``catch_up_s``) for its next fetch to
        end, as an answer or as a failure (then the last list is kept). A fetch that takes
        longer is not waited for again: the checks go on with the last list, as they do
        while the user service is away."""
        with self._fetched:
            if not self._stale:
                return
            target = self._fetches + 1
            self._fetched.notify_all()
            if not self._fetched.wait_for(
                    lambda: self._fetches >= target or self._stopped.is_set(),
                    timeout=self.catch_up_s):
                self._stale = False

    def refresh(self) -> bool:
        """Fetch what was revoked since the last fetch; on failure keep the list."""
        params = {"since": self._cursor} if self._cursor else None
        try:
            response = self._http.get(self.url, params=params, timeout=self.timeout_s)
            response.raise_for_status()
            body = response.json()
            entries = {str(entry["session_id"]): _epoch(entry["expires_at"])
                       for entry in body["revoked"]}
            cursor = str(body["cursor"])
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            AUTH_REVOCATION_FETCH_ERRORS.labels(self.service).inc()
            if not self._failing:
                log.warning("revoked sessions could not be fetched from %s; keeping the last "
                            "list (%d sessions): %s", self.url, len(self._revoked), exc)
            self._failing = True
            return False
        now = time.time()
        merged = {sid: until for sid, until in self._revoked.items() if until > now}
        merged.update(entries)
        self._revoked, self._cursor = merged, cursor
        AUTH_REVOCATION_LAST_FETCH.labels(self.service).set(now)
        if self._failing:
            log.info("revoked sessions fetched again from %s", self.url)
        self._failing = False
        return True


def _epoch(value: Any) -> float:
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"expires_at without a time zone: {value}")
    return parsed.timestamp()

