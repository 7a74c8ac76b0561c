"""Benchmark one hop of the saga: an outbox row committed here, handled in another process.

    .venv/bin/python bench/hops.py [--help]

Subject: this process writes one event per transaction into a fresh tally database
(``Outbox.emit``, as an API process does) at a steady rate; a tally worker process
(``python -m tally_service worker``: relay + consumer, the runtime's defaults) publishes
it through the embedded broker and applies it. The hop's latency runs from this
process's commit to the consumer's inbox insert in the worker's transaction
(``processed_events.processed_at``; the commit follows it within about a millisecond).

Baseline, measured in the same run and interleaved: the bare kafka-python round trip,
a producer here (acks=all, idempotent, one synchronous send per event) and a group
consumer in another process (``--baseline-fetch-wait-ms``), the time from before the
send to the consumer's receipt.

Each side is measured at ``--rate`` events/s (p50 and p99), then idle (CPU of the
worker / the bare consumer, and of the broker, as a share of one core), then
``--after-idle`` single events each after a quiet pause (the first hop after idle).
CPU per delivered event is the worker's (relay + consumer + everything else it runs)
over the steady phase. On SQLite, and on PostgreSQL when ``BENCH_DATABASE_URL`` (or
``--database-url``) names a server. A benchmark, not a test: it asserts nothing.
To measure other code with the same script, put its ``runtime`` and ``contracts``
first on ``PYTHONPATH``; the worker process gets the same path.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import select

import service_runtime
from service_runtime.broker import start_broker
from service_runtime.config import KafkaSettings
from service_runtime.db import Database
from service_runtime.kafka import ensure_topics
from service_runtime.tables import processed_events
from service_runtime.testing.databases import DatabaseFactory
from service_runtime.testing.processes import free_port

TALLY_DIR = Path(service_runtime.__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TALLY_DIR))
import tally_service  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Run:
    """One side, one repetition."""

    steady_ms: list[float] = field(default_factory=list)
    after_idle_ms: list[float] = field(default_factory=list)
    cpu_ms_per_event: float = 0.0
    idle_cpu: float = 0.0  # share of one core: the worker / bare consumer
    idle_broker_cpu: float = 0.0


def paced(count: int, rate: float, send: Callable[[int], None]) -> None:
    start = time.monotonic()
    for seq in range(count):
        delay = start + seq / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        send(seq)


def idle_cpu(pid: int, broker_pid: int, seconds: float) -> tuple[float, float]:
    time.sleep(2)  # let it notice it is idle
    own, broker = cpu_seconds(pid), cpu_seconds(broker_pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - own) / seconds, (cpu_seconds(broker_pid) - broker) / seconds


# ----------------------------------------------------------------------------- subject


class Worker:
    def __init__(self, url: str, kafka: KafkaSettings, log_path: Path) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
            "WORKER_PORT": str(free_port()),
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(TALLY_DIR), os.environ.get("PYTHONPATH")])),
            "LOG_LEVEL": "WARNING",
        }
        self.log = log_path.open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "tally_service", "worker"],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def emit(db: Database, seq: int) -> tuple[str, float]:
    with db.transaction() as session:
        event_id = tally_service.outbox.emit(session, tally_service.EVENT, key=f"s{seq % 8}",
                                             data={"stream": f"s{seq % 8}", "seq": seq})
    return event_id, time.time()


def applied_at(db: Database, ids: list[str], timeout_s: float = 60) -> dict[str, float]:
    deadline = time.monotonic() + timeout_s
    while True:
        with db.read() as session:
            rows = session.execute(select(processed_events.c.event_id,
                                          processed_events.c.processed_at)
                                   .where(processed_events.c.event_id.in_(ids))).all()
        if len(rows) == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if len(rows) < len(ids):
        raise RuntimeError(f"only {len(rows)} of {len(ids)} events were applied")
    return {row.event_id: (row.processed_at if row.processed_at.tzinfo else
                           row.processed_at.replace(tzinfo=UTC)).timestamp() for row in rows}


def run_subject(url: str, bootstrap: str, broker_pid: int, args: argparse.Namespace,
                workdir: Path) -> Run:
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=f"hops{uuid.uuid4().hex[:8]}.")
    tally_service.create_schema(url)
    ensure_topics(kafka, [tally_service.EVENT, "tally.dead-letters"], partitions=6)
    db = Database(url)
    worker = Worker(url, kafka, workdir / f"worker-{uuid.uuid4().hex[:6]}.log")
    run = Run()
    try:
        warm = [emit(db, seq)[0] for seq in range(20)]
        applied_at(db, warm, timeout_s=90)
        committed: dict[str, float] = {}

        def send(seq: int) -> None:
            event_id, at = emit(db, seq)
            committed[event_id] = at

        before = cpu_seconds(worker.process.pid)
        paced(args.events, args.rate, send)
        handled = applied_at(db, list(committed))
        run.cpu_ms_per_event = (cpu_seconds(worker.process.pid) - before) * 1000 / args.events
        run.steady_ms = [(handled[i] - committed[i]) * 1000 for i in committed]
        run.idle_cpu, run.idle_broker_cpu = idle_cpu(worker.process.pid, broker_pid,
                                                     args.idle_seconds)
        for seq in range(args.after_idle):
            time.sleep(args.pause)
            event_id, at = emit(db, seq)
            run.after_idle_ms.append((applied_at(db, [event_id])[event_id] - at) * 1000)
    finally:
        worker.stop()
        db.dispose()
    return run


# ---------------------------------------------------------------------------- baseline


def bare_consumer(bootstrap: str, topic: str, fetch_wait_ms: int) -> None:
    """The baseline's other process: print each record's value and arrival time."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"{topic}.bare",
                             enable_auto_commit=False, auto_offset_reset="latest",
                             fetch_max_wait_ms=fetch_wait_ms, session_timeout_ms=6000,
                             heartbeat_interval_ms=1000)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    announced = False
    while True:
        batch = consumer.poll(timeout_ms=500)
        if consumer.assignment() and not announced:
            print("ready", flush=True)
            announced = True
        for records in batch.values():
            now = time.time()
            for record in records:
                print(record.value.decode(), now, flush=True)


def run_baseline(bootstrap: str, broker_pid: int, args: argparse.Namespace) -> Run:
    topic = f"hops-bare-{uuid.uuid4().hex[:8]}"
    ensure_topics(KafkaSettings(bootstrap_servers=bootstrap), [topic], partitions=6)
    process = subprocess.Popen(
        [sys.executable, __file__, "--bare-consumer", bootstrap, topic,
         str(args.baseline_fetch_wait_ms)], stdout=subprocess.PIPE, text=True,
        start_new_session=True)
    arrivals: dict[str, float] = {}
    ready = threading.Event()
    changed = threading.Condition()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip() == "ready":
                ready.set()
                continue
            key, at = line.split()
            with changed:
                arrivals[key] = float(at)
                changed.notify_all()

    threading.Thread(target=read, daemon=True).start()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    run = Run()
    try:
        if not ready.wait(90):
            raise RuntimeError("the bare consumer never got its partitions")
        time.sleep(1)
        sent: dict[str, float] = {}

        def send(seq: int, prefix: str = "s") -> str:
            key = f"{prefix}{seq}"
            sent[key] = time.time()
            producer.send(topic, key=f"s{seq % 8}".encode(), value=key.encode()).get(timeout=30)
            return key

        def wait_for(keys: list[str]) -> None:
            with changed:
                if not changed.wait_for(lambda: all(k in arrivals for k in keys), timeout=60):
                    raise RuntimeError("the bare consumer missed records")

        before = cpu_seconds(process.pid)
        paced(args.events, args.rate, send)
        keys = [f"s{seq}" for seq in range(args.events)]
        wait_for(keys)
        run.cpu_ms_per_event = (cpu_seconds(process.pid) - before) * 1000 / args.events
        run.steady_ms = [(arrivals[k] - sent[k]) * 1000 for k in keys]
        run.idle_cpu, run.idle_broker_cpu = idle_cpu(process.pid, broker_pid, args.idle_seconds)
        for seq in range(args.after_idle):
            time.sleep(args.pause)
            key = send(seq, prefix="i")
            wait_for([key])
            run.after_idle_ms.append((arrivals[key] - sent[key]) * 1000)
    finally:
        producer.close()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    return run


# ------------------------------------------------------------------------------- report


def describe(name: str, run: Run) -> str:
    return (f"{name} p50 {statistics.median(run.steady_ms):6.1f} ms  "
            f"p99 {percentile(run.steady_ms, 99):6.1f} ms  "
            f"after idle p50 {statistics.median(run.after_idle_ms):6.1f} ms  "
            f"CPU/event {run.cpu_ms_per_event:5.2f} ms  "
            f"idle CPU {run.idle_cpu:5.1%} (+ broker {run.idle_broker_cpu:5.1%})")


def summary(backend: str, bare: list[Run], subject: list[Run]) -> list[tuple[str, ...]]:
    def median_of(runs: list[Run], measure: Callable[[Run], float]) -> float:
        return statistics.median(measure(run) for run in runs)

    measures: list[tuple[str, str, Callable[[Run], float]]] = [
        ("hop p50", "ms", lambda r: statistics.median(r.steady_ms)),
        ("hop p99", "ms", lambda r: percentile(r.steady_ms, 99)),
        ("first hop after idle p50", "ms", lambda r: statistics.median(r.after_idle_ms)),
        ("CPU per event", "ms", lambda r: r.cpu_ms_per_event),
        ("idle CPU (process)", "% core", lambda r: r.idle_cpu * 100),
        ("idle CPU (broker)", "% core", lambda r: r.idle_broker_cpu * 100),
    ]
    rows = []
    for name, unit, measure in measures:
        base, subj = median_of(bare, measure), median_of(subject, measure)
        ratio = f"{subj / base:.2f}" if base else "-"
        rows.append((f"{backend}: {name}", f"{base:,.2f} {unit}", f"{subj:,.2f} {unit}", ratio))
    return rows


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("measure", "bare kafka-python", "outbox -> handler", "ratio")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(4)]
    rule = "-" * (sum(widths) + 6)
    print("\nSUMMARY (medians over repetitions)")
    print(rule)
    for row in (header, None, *rows):
        if row is None:
            print(rule)
            continue
        print("  ".join(c.rjust(w) if i else c.ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    print(rule)
    print("ratio = outbox hop / bare round trip (1.00 = as fast as bare kafka-python)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bare-consumer", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--pg-reps", type=int, default=3)
    parser.add_argument("--events", type=int, default=200, help="per steady phase")
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--after-idle", type=int, default=6, help="single events after a pause")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds before each of those")
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--baseline-fetch-wait-ms", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    if args.bare_consumer:
        bootstrap, topic, wait = args.bare_consumer
        bare_consumer(bootstrap, topic, int(wait))
        return 0

    print(f"bench/hops.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {os.cpu_count()} CPUs  "
          f"load avg {os.getloadavg()[0]:.2f}  "
          f"runtime from {Path(service_runtime.__file__).parent}")
    port = free_port()
    broker = start_broker("127.0.0.1", port)
    bootstrap = f"127.0.0.1:{port}"
    rows: list[tuple[str, ...]] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-hops-") as tmp:
        workdir = Path(tmp)
        backends = [("SQLite", DatabaseFactory(None, workdir), args.reps)]
        if args.database_url:
            backends.append(("PostgreSQL", DatabaseFactory(args.database_url, workdir),
                             args.pg_reps))
        try:
            for backend, factory, reps in backends:
                print(f"\n== {backend}: {args.events} events at {args.rate:g}/s, "
                      f"{args.after_idle} after {args.pause:g} s pauses, {reps} repetitions ==")
                bare: list[Run] = []
                subject: list[Run] = []
                for rep in range(reps):
                    sides = [("bare", lambda: run_baseline(bootstrap, broker.pid, args), bare),
                             ("hop ", lambda f=factory: run_subject(f.create("hops"), bootstrap,
                                                            broker.pid, args, workdir), subject)]
                    for name, measure, runs in sides if rep % 2 == 0 else sides[::-1]:
                        runs.append(measure())
                        print(f"  rep {rep + 1}/{reps} {describe(name, runs[-1])}", flush=True)
                rows += summary(backend, bare, subject)
        finally:
            for _backend, factory, _reps in backends:
                factory.drop_all()
            broker.terminate()
            broker.wait(timeout=10)
    print_table(rows)
    print(f"total time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    from run import terminate_on_sigterm

    # SIGTERM (a timeout, ``kill``) stops what it started, as Ctrl-C does.
    with terminate_on_sigterm():
        sys.exit(main())
