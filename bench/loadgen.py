"""A small HTTP load generator: keep-alive connections, one per thread, fixed duration.

Run as its own process by ``bench/run.py`` and ``bench/stack.py`` so the client does not
share an interpreter (and a GIL) with the orchestrator. Prints one JSON object:

    python bench/loadgen.py --port 8000 --path /api/v1/ping --connections 8 \\
        --warmup 1 --duration 5
    {"rps": ..., "requests": ..., "errors": ..., "elapsed_s": ..., "total_requests": ...,
     "p50_ms": ..., "p99_ms": ...}

``--path`` may be given several times: each connection then cycles through the paths
(e.g. several product pages), starting at a different one. ``--header "Name: value"``
(repeatable) is sent with every request (e.g. a shopper's Authorization).

Only responses with status 200 count as requests; anything else (another status,
a dropped connection, a timeout) counts as an error and the connection is reopened.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time


def _client(
    host: str,
    port: int,
    paths: list[str],
    slot: int,
    done: list[int],
    errors: list[int],
    latencies: list[list[float]],
    stop: threading.Event,
    headers: dict[str, str] | None = None,
) -> None:
    connection: http.client.HTTPConnection | None = None
    turn = slot
    while not stop.is_set():
        try:
            if connection is None:
                connection = http.client.HTTPConnection(host, port, timeout=10)
            path = paths[turn % len(paths)]
            turn += 1
            started = time.perf_counter()
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            response.read()
            latencies[slot].append(time.perf_counter() - started)
            if response.status == 200:
                done[slot] += 1
            else:
                errors[slot] += 1
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            errors[slot] += 1
            if connection is not None:
                connection.close()
            connection = None
            time.sleep(0.01)
    if connection is not None:
        connection.close()


def run_load(
    host: str, port: int, paths: list[str], connections: int, warmup_s: float, duration_s: float,
    headers: dict[str, str] | None = None,
) -> dict[str, float]:
    """Drive ``connections`` keep-alive clients; count what completes after the warm-up."""
    done = [0] * connections
    errors = [0] * connections
    latencies: list[list[float]] = [[] for _ in range(connections)]
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_client,
            args=(host, port, paths, slot, done, errors, latencies, stop, headers),
            name=f"client-{slot}",
            daemon=True,
        )
        for slot in range(connections)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(warmup_s)
        started, done_0, errors_0 = time.perf_counter(), sum(done), sum(errors)
        seen_0 = [len(slot) for slot in latencies]
        time.sleep(duration_s)
        ended, done_1, errors_1 = time.perf_counter(), sum(done), sum(errors)
        seen_1 = [len(slot) for slot in latencies]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    elapsed = ended - started
    measured = [t for slot, a, b in zip(latencies, seen_0, seen_1, strict=True) for t in slot[a:b]]
    return {
        "rps": (done_1 - done_0) / elapsed,
        "requests": done_1 - done_0,
        "errors": errors_1 - errors_0,
        "elapsed_s": elapsed,
        "total_requests": sum(done),  # warm-up included
        **percentiles_ms(measured),
    }


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """p50 and p99 of the measured answers' latencies, in milliseconds."""
    if len(seconds) < 2:
        return {"p50_ms": float("nan"), "p99_ms": float("nan")}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", action="append", help="repeat to cycle through several")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--header", action="append", default=[],
                        help='"Name: value", sent with every request; repeat for more')
    args = parser.parse_args(argv)
    headers = dict(h.split(":", 1) for h in args.header)
    result = run_load(args.host, args.port, args.path or ["/"], args.connections, args.warmup,
                      args.duration, {k.strip(): v.strip() for k, v in headers.items()})
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
