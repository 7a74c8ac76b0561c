"""The storefront's behaviour events (``POST /api/v1/track``), as a shop's client app sends
them: product and payment page views, searches, cart changes and the key buttons.

The pages are server-side forms, so the web server records an event where the action it
stands for succeeded (more reliable than a script in the page, which blockers and closed
tabs lose). A page's events go in one batch, sent after the answer by a background thread
with the shopper's access token (the events are the signed-in user's) and a per-browser
visit id kept in a cookie of its own (signing out clears the session, not the visit).
Tracking never fails or slows a page: a full queue, a slow or failing analytics only
loses events, and says so in the log. A worker that stops (a deploy, a restart) sends
what is still queued first, for up to ``EXIT_DRAIN_S``.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from flask import Flask, Response, current_app, g, request, session

from event_contracts.vocabulary import TrackEventType as EventType
from shop_web.gateway_client import Gateway, forwarded_for

log = logging.getLogger(__name__)

TRACK_PATH = "/track"
# The browser's visit: a cookie without an expiry, so it lasts while the browser is open.
VISIT_COOKIE = "shop_visit"
_VISIT_ID = re.compile(r"^[0-9a-f]{32}$")
# Behaviour events are worth little next to the page: a short wait, then they are dropped.
TRACK_TIMEOUTS = (0.5, 1.0)
# Batches waiting for the sender; beyond this (analytics far behind) new ones are dropped.
QUEUE_LIMIT = 1000
# At a worker's exit, how long the batches still queued may take to go out (gunicorn
# gives a stopping worker 30 s by default; a page's batch is sent in about a millisecond).
EXIT_DRAIN_S = 5.0


class EventName(StrEnum):
    """What was viewed, clicked or went wrong (an event's ``name``)."""

    PAYMENT_PAGE = "payment"
    PLACE_ORDER = "place_order"
    PAY = "pay"
    PAYMENT_REFUSED = "payment_refused"


def record(kind: EventType, *, name: EventName | None = None, product_id: int | None = None,
           props: dict[str, Any] | None = None) -> None:
    """Keep one event of this request's shopper; it is sent after the page is answered."""
    event: dict[str, Any] = {
        "type": kind.value, "occurred_at": datetime.now(UTC).isoformat(),
        "session_id": visit_id(), "event_id": uuid.uuid4().hex, "path": request.path[:512]}
    if name is not None:
        event["name"] = name.value
    if product_id is not None:
        event["product_id"] = product_id
    if props:
        event["props"] = props
    g.setdefault("tracked_events", []).append(event)


def visit_id() -> str:
    """The browser's visit id: its cookie's, or a new one (set on this answer)."""
    if "visit_id" not in g:
        found = request.cookies.get(VISIT_COOKIE, "")
        g.visit_id = found if _VISIT_ID.match(found) else uuid.uuid4().hex
        g.new_visit = g.visit_id != found
    return g.visit_id


@dataclass(frozen=True)
class Batch:
    events: list[dict[str, Any]]
    headers: dict[str, str]


class Tracker:
    """Sends batches to the gateway from one daemon thread per process (started on the
    first batch, so a forked worker starts its own)."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.waiting: queue.Queue[Batch] = queue.Queue(QUEUE_LIMIT)
        self._sender: threading.Thread | None = None
        self._drains_at_exit_of = 0  # the process whose exit sends what is left
        self._lock = threading.Lock()

    def submit(self, batch: Batch) -> None:
        try:
            self.waiting.put_nowait(batch)
        except queue.Full:
            log.warning("behaviour events dropped: %d waiting batches", QUEUE_LIMIT)
            return
        with self._lock:
            if self._sender is None or not self._sender.is_alive():
                if self._drains_at_exit_of != os.getpid():  # this process's first batch
                    self._drains_at_exit_of = os.getpid()
                    atexit.register(self.drain, EXIT_DRAIN_S)
                self._sender = threading.Thread(target=self._run, name="track-sender",
                                                daemon=True)
                self._sender.start()

    def drain(self, timeout_s: float | None = None) -> bool:
        """Wait until every submitted batch was sent or dropped, or ``timeout_s`` passed
        (tests, and at the process's exit, while the daemon sender still runs); whether
        none is left."""
        done = self.waiting.all_tasks_done
        with done:
            all_sent = done.wait_for(lambda: not self.waiting.unfinished_tasks, timeout_s)
        if not all_sent:
            log.warning("behaviour events not sent in time: %d batches left",
                        self.waiting.unfinished_tasks)
        return all_sent

    def _run(self) -> None:
        while True:
            batch = self.waiting.get()
            try:
                self.send(batch)
            finally:
                self.waiting.task_done()

    def send(self, batch: Batch) -> None:
        try:
            response = self.gateway.http.post(
                self.gateway.base_url + TRACK_PATH, json={"events": batch.events},
                headers=batch.headers, timeout=TRACK_TIMEOUTS, allow_redirects=False)
        except Exception as error:  # whatever it is: the events are lost, not the sender
            log.warning("behaviour events not sent: %s", error)
            return
        if response.status_code >= 400:
            log.warning("behaviour events refused: %s %s", response.status_code,
                        response.text[:300])


def tracker() -> Tracker:
    return current_app.extensions["shop_tracker"]


def install(app: Flask, gateway: Gateway) -> Tracker:
    """Send each request's events after its answer, and keep the visit cookie."""
    app.extensions["shop_tracker"] = found = Tracker(gateway)

    @app.after_request
    def send_events(response: Response) -> Response:
        events = g.pop("tracked_events", None)
        if events:
            found.submit(Batch(events, _headers()))
        if g.get("new_visit"):
            response.set_cookie(VISIT_COOKIE, g.visit_id, httponly=True, samesite="Lax",
                                secure=app.config.get("SESSION_COOKIE_SECURE", False))
        return response

    return found


def _headers() -> dict[str, str]:
    """The shopper's token (read now: the page's API calls may have renewed it) and
    address (analytics limits batches per client address)."""
    headers = {"Accept": "application/json", **forwarded_for()}
    if session.get("access_token"):
        headers["Authorization"] = f"Bearer {session['access_token']}"
    return headers
