"""Benchmark behaviour-event ingestion (``POST /api/v1/track``) against a bare endpoint.

    .venv/bin/python bench/track_ingest.py [--help]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/track_ingest.py --backend postgresql

Two servers under gunicorn with the same settings (``service_runtime.gunicorn_conf``,
``--workers`` x ``--threads``):

- **bare**: a plain Flask app whose ``POST /api/v1/track`` reads the JSON body and
  answers 202 with the number of events (no checks, no storage): the ceiling.
- **analytics**: the analytics API on a fresh, migrated database (SQLite by default),
  anonymous batches, its rate limit raised out of the way (the limiter still counts).

A load generator (its own process, ``--connections`` keep-alive threads) posts batches of
``--batch`` events, every event new (its own event id), for ``--duration`` seconds after
``--warmup``. Repetitions alternate which server goes first; the table shows medians and
the ratio analytics / bare of events per second. After the runs, the rows in the
analytics database are counted against the events it answered as accepted.

A benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from run import BENCH_DIR, Gunicorn, terminate_on_sigterm

PATH = "/api/v1/track"


def bare_track_app() -> Any:
    """The ceiling: a plain Flask route that reads the batch and answers 202."""
    from flask import Flask, jsonify, request

    app = Flask("bench-track-bare")

    @app.post(PATH)
    def track() -> Any:
        events = request.get_json()["events"]
        return jsonify(accepted=len(events), duplicates=0, errors=[]), 202

    return app


class TrackServer(Gunicorn):
    """A server of ``POST /track``, ready once it accepts an empty-handed probe."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"

    def wait_ready(self, timeout_s: float = 30) -> tuple[dict, dict[str, str]]:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.label}) exited:\n{self.log_tail()}")
            try:
                status, body = post(self.port, batch_body("probe", 0, 1))
                if status == 202:
                    return json.loads(body), {}
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.label} not ready:\n{self.log_tail()}")
            time.sleep(0.1)


def post(port: int, body: bytes) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", PATH, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


OCCURRED_AT = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
KINDS = [("page_view", None), ("click", "add_to_cart"), ("search", None),
         ("add_to_cart", None), ("page_view", None)]


def batch_body(client: str, number: int, size: int) -> bytes:
    """A batch of ``size`` new events, the shape a storefront sends."""
    events = []
    for index in range(size):
        kind, name = KINDS[index % len(KINDS)]
        event: dict[str, Any] = {
            "type": kind, "occurred_at": OCCURRED_AT, "session_id": client,
            "event_id": f"{number}-{index}", "path": f"/products/{index % 97 + 1}",
            "product_id": index % 97 + 1}
        if name:
            event["name"] = name
        if kind == "search":
            event["props"] = {"query": "电热水壶 kettle", "page": 1}
        events.append(event)
    return json.dumps({"events": events}).encode()


# --------------------------------------------------------------------------- the client


def drive(port: int, connections: int, batch: int, warmup_s: float, duration_s: float,
          run: str) -> dict[str, float]:
    """Post batches on ``connections`` keep-alive connections; count what is answered 202
    after the warm-up."""
    done, accepted, errors = [0] * connections, [0] * connections, [0] * connections
    counting, stop = threading.Event(), threading.Event()

    def client(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        number = 0
        while not stop.is_set():
            number += 1
            body = batch_body(f"{run}-{slot}", number, batch)
            try:
                connection.request("POST", PATH, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            if not counting.is_set():
                continue
            if response.status == 202:
                done[slot] += 1
                accepted[slot] += json.loads(answer)["accepted"]
            else:
                errors[slot] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True)
               for n in range(connections)]
    for thread in threads:
        thread.start()
    time.sleep(warmup_s)
    counting.set()
    started = time.perf_counter()
    time.sleep(duration_s)
    stop.set()
    elapsed = time.perf_counter() - started
    for thread in threads:
        thread.join(timeout=30)
    return {"events_per_s": sum(done) * batch / elapsed, "requests_per_s": sum(done) / elapsed,
            "accepted": sum(accepted), "errors": sum(errors)}


def measure(server: TrackServer, args: argparse.Namespace, run: str) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--drive", str(server.port), "--run", run,
         "--connections", str(args.connections), "--batch", str(args.batch),
         "--warmup", str(args.warmup), "--duration", str(args.duration)],
        capture_output=True, text=True, timeout=args.warmup + args.duration + 120, check=True)
    return json.loads(completed.stdout)


# --------------------------------------------------------------------------- the run


def analytics_server(url: str, args: argparse.Namespace, workdir: Path) -> TrackServer:
    from analytics.definition import DEFINITION
    from service_runtime.migrate import upgrade

    upgrade(DEFINITION, url)
    server = TrackServer("analytics", "analytics.app:create_app()", args, workdir)
    server.env.update(ANALYTICS_DATABASE_URL=url, ANALYTICS_TRACK_RATE_LIMIT="1000000/minute")
    return server


def stored_events(url: str) -> int:
    from sqlalchemy import func, select

    from analytics.models import BehaviourEvent
    from service_runtime.db import Database

    db = Database(url)
    try:
        with db.read() as session:
            return session.scalar(select(func.count()).select_from(BehaviourEvent))
    finally:
        db.dispose()


def database_url(args: argparse.Namespace, workdir: Path) -> str:
    if args.backend == "sqlite":
        return f"sqlite:///{workdir / 'analytics.db'}"
    from service_runtime.testing.databases import DatabaseFactory

    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not server:
        raise SystemExit("--backend postgresql needs BENCH_DATABASE_URL")
    return DatabaseFactory(server, workdir).create("analytics")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.drive:
        print(json.dumps(drive(args.drive, args.connections, args.batch, args.warmup,
                               args.duration, args.run)))
        return 0
    with terminate_on_sigterm(), tempfile.TemporaryDirectory(prefix="bench-track-") as tmp:
        workdir = Path(tmp)
        url = database_url(args, workdir)
        servers = [TrackServer("bare", "track_ingest:bare_track_app()", args, workdir),
                   analytics_server(url, args, workdir)]
        figures: dict[str, list[dict[str, float]]] = {s.label: [] for s in servers}
        try:
            for server in servers:
                server.start()
                server.wait_ready()
            for repetition in range(args.repetitions):
                order = servers if repetition % 2 == 0 else servers[::-1]
                for server in order:
                    report = measure(server, args, f"r{repetition}")
                    figures[server.label].append(report)
                    print(f"  {server.label:>9} #{repetition + 1}: "
                          f"{report['events_per_s']:8.0f} events/s "
                          f"({report['requests_per_s']:.0f} batches/s, "
                          f"{report['errors']} errors)", flush=True)
        finally:
            for server in servers:
                server.stop()
        answered = sum(r["accepted"] for r in figures["analytics"])
        stored = stored_events(url)
        print_table(figures, args, answered, stored)
    return 0


def print_table(figures: dict[str, list[dict[str, float]]], args: argparse.Namespace,
                answered: int, stored: int) -> None:
    bare = statistics.median(r["events_per_s"] for r in figures["bare"])
    ours = statistics.median(r["events_per_s"] for r in figures["analytics"])
    print(f"\nPOST {PATH}: batches of {args.batch}, {args.connections} connections, "
          f"gunicorn {args.workers}x{args.threads}, {args.backend}, "
          f"median of {args.repetitions} x {args.duration:g} s")
    print("| server | events/s | batches/s |\n|---|---|---|")
    for label in ("bare", "analytics"):
        runs = figures[label]
        print(f"| {label} | {statistics.median(r['events_per_s'] for r in runs):,.0f} | "
              f"{statistics.median(r['requests_per_s'] for r in runs):,.0f} |")
    print(f"| ratio analytics / bare | {ours / bare:.2f} | |")
    # The probe batch (one event) is stored too.
    print(f"\nstored rows: {stored:,} (answered as accepted while counting: {answered:,}; "
          "the warm-ups and the probe are stored as well)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--batch", type=int, default=50, help="events per batch [%(default)s]")
    parser.add_argument("--connections", type=int, default=8, help="[%(default)s]")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [%(default)s]")
    parser.add_argument("--threads", type=int, default=4, help="threads each [%(default)s]")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds [%(default)s]")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds [%(default)s]")
    parser.add_argument("--repetitions", type=int, default=3, help="[%(default)s]")
    parser.add_argument("--drive", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--run", default="r", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH_DIR))
    raise SystemExit(main())
