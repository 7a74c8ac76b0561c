"""SQLite writers of two processes on one file: the wait for the write lock, queued on a
file lock (the runtime's :mod:`service_runtime.sqlite_writers`) or on SQLite's busy handler.

    .venv/bin/python bench/sqlite_writers.py            # about 1 minute
    .venv/bin/python bench/sqlite_writers.py --help

As in an order service during the saga: an "API" process with ``--threads`` threads each
writing a transaction ``--api-rate`` times a second in all, and a "worker" process writing
``--worker-rate`` transactions a second, every transaction holding the write lock for
about ``--hold-ms`` of work (a few statements and some Python). Each side reports how
long ``BEGIN IMMEDIATE`` waited (p50, p99) and the whole transaction took. Rounds alternate
``queued`` (the runtime's ``Database``) and ``busy handler`` (the same engine without the
file lock: SQLite retries with sleeps of 1, 2, 5, 10 ... 100 ms). A benchmark: only the
ratio between the two, measured in the same run, means anything.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, event, text

from service_runtime.db import Database


def _engine(url: str, queued: bool):  # type: ignore[no-untyped-def]
    if queued:
        return Database(url).engine
    # The runtime's engine before the file lock: BEGIN IMMEDIATE on SQLite's busy handler.
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def on_begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def writer(url: str, queued: bool, threads: int, rate: float, seconds: float, hold_ms: float,
           out: multiprocessing.Queue) -> None:
    engine = _engine(url, queued)
    waits: list[float] = []
    totals: list[float] = []
    started = time.monotonic()
    interval = threads / rate

    def run(offset: float) -> None:
        n = 0
        while True:
            due = started + offset + n * interval
            if due > started + seconds:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            t0 = time.perf_counter()
            with engine.connect() as connection:
                connection.begin()
                t1 = time.perf_counter()
                connection.execute(text("INSERT INTO rows (at) VALUES (:at)"), {"at": t0})
                end = time.perf_counter() + hold_ms / 1000
                while time.perf_counter() < end:  # Python work inside the transaction
                    pass
                connection.commit()
            waits.append(t1 - t0)
            totals.append(time.perf_counter() - t0)
            n += 1

    pool = [threading.Thread(target=run, args=(i * interval / threads,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    engine.dispose()
    out.put({"waits": waits, "totals": totals})


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


def one_round(args: argparse.Namespace, queued: bool, workdir: Path, n: int) -> dict:
    url = f"sqlite:///{workdir / f'round{n}.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("PRAGMA journal_mode=WAL"))
        connection.execute(text("CREATE TABLE rows (id INTEGER PRIMARY KEY, at REAL)"))
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = context.Queue()
    sides = {"api": (args.threads, args.api_rate), "worker": (1, args.worker_rate)}
    processes = {name: context.Process(target=writer, args=(url, queued, threads, rate,
                                                            args.seconds, args.hold_ms, out))
                 for name, (threads, rate) in sides.items()}
    for process in processes.values():
        process.start()
    results = [out.get(timeout=args.seconds + 120) for _ in processes]
    for process in processes.values():
        process.join()
    waits = [w for r in results for w in r["waits"]]
    totals = [t for r in results for t in r["totals"]]
    return {"wait_p50": percentile(waits, 50), "wait_p99": percentile(waits, 99),
            "tx_p50": percentile(totals, 50), "tx_p99": percentile(totals, 99)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=4, help="API threads [%(default)s]")
    parser.add_argument("--api-rate", type=float, default=20, help="tx/s [%(default)s]")
    parser.add_argument("--worker-rate", type=float, default=40, help="tx/s [%(default)s]")
    parser.add_argument("--hold-ms", type=float, default=3, help="[%(default)s]")
    parser.add_argument("--seconds", type=float, default=8, help="per round [%(default)s]")
    parser.add_argument("--rounds", type=int, default=3, help="per side [%(default)s]")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-sqlite-writers-"))
    runs: dict[str, list[dict]] = {"busy handler": [], "queued": []}
    for n in range(args.rounds * 2):
        queued = (n % 2 == 0) == (n // 2 % 2 == 0)  # alternate which side goes first
        name = "queued" if queued else "busy handler"
        result = one_round(args, queued, workdir, n)
        runs[name].append(result)
        print(f"round {n + 1}: {name:12s} " + json.dumps({k: round(v, 1)
                                                          for k, v in result.items()}))
    print(f"{'median of rounds (ms)':24s} {'BEGIN wait p50':>15s} {'p99':>8s} "
          f"{'transaction p50':>16s} {'p99':>8s}")
    for name, results in runs.items():
        cells = [statistics.median(r[key] for r in results)
                 for key in ("wait_p50", "wait_p99", "tx_p50", "tx_p99")]
        print(f"{name:24s} {cells[0]:15.1f} {cells[1]:8.1f} {cells[2]:16.1f} {cells[3]:8.1f}")
    for path in workdir.iterdir():
        path.unlink()
    workdir.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
