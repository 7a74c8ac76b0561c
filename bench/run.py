"""Benchmark the shared runtime against bare baselines measured in the same run.

    .venv/bin/python bench/run.py [--help]

1. Outbox relay throughput (``OutboxRelay.publish_pending`` until it returns 0) as a
   ratio of a bare kafka-python producer (acks=all, idempotent, linger 5 ms) sending
   the same number of same-sized keyed JSON messages, on the embedded broker; on
   SQLite, and on PostgreSQL too when ``BENCH_DATABASE_URL`` (or
   ``TEST_DATABASE_URL``) points at a server.
2. Requests/second of a route on ``service_runtime.app.create_app`` as a ratio of a
   bare Flask app's identical route, both under gunicorn with the same settings
   (``-c python:service_runtime.gunicorn_conf``), loaded by ``bench/loadgen.py``.

Machines are shared and noisy: every figure is a median of several repetitions and
only the ratios are meant to be compared between runs. This is a benchmark, not a
test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

from kafka import KafkaProducer

from service_runtime.broker import start_broker
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.db import Database
from service_runtime.kafka import ensure_topics
from service_runtime.outbox import OutboxRelay
from service_runtime.testing.databases import DatabaseFactory

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
TALLY_DIR = ROOT / "runtime" / "tests"
HTTP_PATH = "/api/v1/ping"
PACKAGES = ("kafka-python", "SQLAlchemy", "Flask", "flask-smorest", "gunicorn")


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    """One benchmark: a baseline and a subject, each measured several times."""

    name: str
    unit: str
    baseline: str
    subject: str
    baseline_values: list[float] = field(default_factory=list)
    subject_values: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline_values)

    @property
    def subject_median(self) -> float:
        return statistics.median(self.subject_values)

    @property
    def ratio(self) -> float:
        return self.subject_median / self.baseline_median

    @property
    def paired_ratio(self) -> float:
        """Median of the per-repetition ratios (each pair measured back to back)."""
        pairs = zip(self.baseline_values, self.subject_values, strict=True)
        return statistics.median(subject / baseline for baseline, subject in pairs)


def spread(values: list[float]) -> str:
    """(max - min) / median, as a percentage: how noisy the repetitions were."""
    if len(values) < 2:
        return "-"
    return f"{(max(values) - min(values)) / statistics.median(values):.0%}"


def print_summary(results: list[Result]) -> None:
    header = (
        "benchmark",
        "baseline (median)",
        "subject (median)",
        "ratio",
        "paired",
        "runs",
        "spread b/s",
    )
    rows = [
        (
            r.name,
            f"{r.baseline} {r.baseline_median:,.0f} {r.unit}",
            f"{r.subject} {r.subject_median:,.0f} {r.unit}",
            f"{r.ratio:.2f}",
            f"{r.paired_ratio:.2f}",
            f"{len(r.baseline_values)}/{len(r.subject_values)}",
            f"{spread(r.baseline_values)}/{spread(r.subject_values)}",
        )
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if i in (3, 4) else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "-" * len(line(header))
    print()
    print("SUMMARY")
    print(rule)
    print(line(header))
    print(rule)
    for row in rows:
        print(line(row))
    print(rule)
    print(
        "ratio = subject median / baseline median (1.00 = as fast as the bare baseline);\n"
        "paired = median of the per-repetition ratios; spread = (max - min) / median."
    )
    for r in results:
        for note in r.notes:
            print(f"note: {r.name}: {note}")


def rate(value: float, unit: str) -> str:
    return f"{value:>9,.0f} {unit}"


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_tally() -> ModuleType:
    """The runtime's test service: registers ``TallyCounted`` and has an ``Outbox``."""
    if str(TALLY_DIR) not in sys.path:
        sys.path.insert(0, str(TALLY_DIR))
    return importlib.import_module("tally_service")


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so every ``finally`` (child processes) runs."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- outbox


def envelope_messages(count: int, streams: int) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs shaped and sized like the envelopes ``Outbox.emit`` writes."""
    messages = []
    for seq in range(count):
        stream = f"s{seq % streams}"
        envelope = {
            "id": str(uuid.uuid4()),
            "type": "TallyCounted",
            "version": 1,
            "source": "tally",
            "occurred_at": datetime.now(UTC).isoformat(),
            "key": stream,
            "correlation_id": uuid.uuid4().hex,
            "causation_id": None,
            "data": {"stream": stream, "seq": seq},
        }
        value = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
        messages.append((stream.encode(), value.encode()))
    return messages


def topic_settings(bootstrap: str, role: str, partitions: int, event: str) -> KafkaSettings:
    """Settings with a prefix of their own, the event's topic created on the broker."""
    settings = KafkaSettings(
        bootstrap_servers=bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:8]}.{role}."
    )
    ensure_topics(settings, [event], partitions)
    return settings


def relay_like_headers(event: str) -> list[tuple[str, bytes]]:
    """Headers of the same names and sizes as the ones the relay puts on every record."""
    return [
        ("event_type", event.encode()),
        ("event_version", b"1"),
        ("correlation_id", uuid.uuid4().hex.encode()),
        ("content_type", b"application/json"),
    ]


def bare_producer_rate(
    bootstrap: str,
    messages: list[tuple[bytes, bytes]],
    partitions: int,
    event: str,
    headers: list[tuple[str, bytes]] | None = None,
) -> float:
    """msgs/s of a bare idempotent producer sending ``messages`` and flushing."""
    settings = topic_settings(bootstrap, "bare", partitions, event)
    topic = settings.topic(event)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    try:
        producer.partitions_for(topic)  # connect and fetch metadata before the clock starts
        started = time.perf_counter()
        futures = [
            producer.send(topic, key=key, value=value, headers=headers) for key, value in messages
        ]
        producer.flush()
        for future in futures:
            future.get(timeout=0)  # raises if the broker did not acknowledge
        elapsed = time.perf_counter() - started
    finally:
        producer.close(timeout=5)
    return len(messages) / elapsed


def relay_rate(
    bootstrap: str,
    url: str,
    count: int,
    streams: int,
    partitions: int,
    delivery: DeliverySettings,
    tally: ModuleType,
) -> tuple[float, int]:
    """msgs/s of ``OutboxRelay.publish_pending`` draining ``count`` freshly emitted events.

    Returns the rate and the mean payload size of the outbox rows.
    """
    settings = topic_settings(bootstrap, "relay", partitions, tally.EVENT)
    tally.create_schema(url)
    db = Database(url)
    try:
        with db.transaction() as session:
            for seq in range(count):
                stream = f"s{seq % streams}"
                tally.outbox.emit(
                    session, tally.EVENT, key=stream, data={"stream": stream, "seq": seq}
                )
        payload_bytes = _mean_payload_bytes(db)
        relay = OutboxRelay("tally", db, settings, delivery)
        try:
            relay.producer.partitions_for(settings.topic(tally.EVENT))  # as for the baseline
            published = 0
            started = time.perf_counter()
            while batch := relay.publish_pending():
                published += batch
            elapsed = time.perf_counter() - started
        finally:
            relay.close()
    finally:
        db.dispose()
    if published != count:
        raise RuntimeError(f"the relay published {published} of {count} events")
    return count / elapsed, payload_bytes


def _mean_payload_bytes(db: Database) -> int:
    from sqlalchemy import func, select

    from service_runtime.tables import outbox_messages

    with db.transaction() as session:
        mean = session.execute(select(func.avg(func.length(outbox_messages.c.payload)))).scalar()
    return round(float(mean or 0))


def bench_outbox(
    backend: str,
    bootstrap: str,
    new_database: Callable[[], str],
    reps: int,
    args: argparse.Namespace,
    tally: ModuleType,
) -> Result:
    result = Result(f"outbox relay, {backend}", "msg/s", "bare producer", "OutboxRelay")
    delivery = (
        DeliverySettings(relay_batch_size=args.batch_size)
        if args.batch_size
        else DeliverySettings()
    )
    messages = envelope_messages(args.messages, args.streams)
    bare_bytes = round(statistics.mean(len(value) for _, value in messages))
    relay_bytes = 0
    headers = relay_like_headers(tally.EVENT) if args.baseline_headers else None
    print(
        f"\n== outbox relay on {backend}: {args.messages} events x {reps} repetitions, "
        f"{args.partitions} partitions, relay batch {delivery.relay_batch_size}, "
        f"baseline {'with' if headers else 'without'} headers =="
    )
    for rep in range(reps):
        # Alternate which side goes first so a drift (broker memory, page cache) cancels.
        order = ("bare", "relay") if rep % 2 == 0 else ("relay", "bare")
        figures = {}
        for side in order:
            if side == "bare":
                figures[side] = bare_producer_rate(
                    bootstrap, messages, args.partitions, tally.EVENT, headers
                )
                result.baseline_values.append(figures[side])
            else:
                figures[side], relay_bytes = relay_rate(
                    bootstrap,
                    new_database(),
                    args.messages,
                    args.streams,
                    args.partitions,
                    delivery,
                    tally,
                )
                result.subject_values.append(figures[side])
        print(
            f"  rep {rep + 1}/{reps}: bare {rate(figures['bare'], 'msg/s')}   "
            f"relay {rate(figures['relay'], 'msg/s')}   "
            f"ratio {figures['relay'] / figures['bare']:.2f}"
        )
    print(
        f"  median: bare {rate(result.baseline_median, 'msg/s')}   "
        f"relay {rate(result.subject_median, 'msg/s')}   ratio {result.ratio:.2f}"
        f"   (payload ~{bare_bytes} B bare, ~{relay_bytes} B relay)"
    )
    return result


def run_outbox(args: argparse.Namespace, workdir: Path) -> list[Result]:
    tally = load_tally()
    results = []
    port = free_port()
    print(f"starting the embedded broker on 127.0.0.1:{port}")
    broker = start_broker("127.0.0.1", port)
    bootstrap = f"127.0.0.1:{port}"
    try:
        # An unrecorded warm-up: imports, first connections, the broker's first topics.
        sqlite = DatabaseFactory(None, workdir)
        warm = max(200, args.messages // 10)
        bare_producer_rate(bootstrap, envelope_messages(warm, args.streams), 1, tally.EVENT)
        relay_rate(
            bootstrap, sqlite.create("warmup"), warm, args.streams, 1, DeliverySettings(), tally
        )

        results.append(
            bench_outbox(
                "SQLite", bootstrap, lambda: sqlite.create("outbox"), args.reps, args, tally
            )
        )

        server = args.database_url
        if server and args.pg_reps > 0:
            postgres = DatabaseFactory(server, workdir)
            try:
                results.append(
                    bench_outbox(
                        "PostgreSQL",
                        bootstrap,
                        lambda: postgres.create("bench_outbox"),
                        args.pg_reps,
                        args,
                        tally,
                    )
                )
            finally:
                postgres.drop_all()
        elif not server:
            print("\n(PostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL)")
    finally:
        broker.terminate()
        try:
            broker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            broker.kill()
            broker.wait()
    return results


# --------------------------------------------------------------------------- HTTP


class Gunicorn:
    """One gunicorn master (in its own process group) serving one app of bench/apps.py."""

    def __init__(self, label: str, app: str, args: argparse.Namespace, workdir: Path) -> None:
        self.label = label
        self.app = app
        self.port = free_port()
        self.log_path = workdir / f"gunicorn-{label}.log"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("BIND", "PROMETHEUS_MULTIPROC_DIR")
        }
        self.env.update(
            PYTHONPATH=str(BENCH_DIR),
            HOST="127.0.0.1",
            PORT=str(self.port),
            WEB_CONCURRENCY=str(args.workers),
            GUNICORN_THREADS=str(args.threads),
            GUNICORN_GRACEFUL_TIMEOUT="5",
            PROMETHEUS_MULTIPROC_DIR=str(workdir / f"prometheus-{label}"),
        )
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HTTP_PATH}"

    def start(self) -> Gunicorn:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "python:service_runtime.gunicorn_conf",
                    self.app,
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() signals the workers too
            )
        return self

    def wait_ready(self, timeout_s: float = 30) -> tuple[dict, dict[str, str]]:
        """Wait until the route answers 200; return its JSON body and headers."""
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.label}) exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    return json.loads(response.read()), dict(response.headers)
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"gunicorn ({self.label}) not ready after {timeout_s}s:\n{self.log_tail()}"
                    ) from None
                time.sleep(0.1)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the master and its workers (None where /proc is absent)."""
        assert self.process is not None
        return process_group_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # Workers normally exit with the master; make sure none lingers in the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def process_group_cpu_seconds(pgid: int) -> float | None:
    """User + system CPU seconds of the live processes of one process group (Linux)."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended meanwhile
        # Fields after "pid (comm) ": state ppid pgrp ... utime(14) stime(15), 1-based.
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def drive_load(server: Gunicorn, args: argparse.Namespace) -> dict[str, float]:
    """Run bench/loadgen.py against one server; return its JSON report."""
    completed = subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / "loadgen.py"),
            "--port",
            str(server.port),
            "--path",
            HTTP_PATH,
            "--connections",
            str(args.connections),
            "--warmup",
            str(args.warmup),
            "--duration",
            str(args.duration),
        ],
        capture_output=True,
        text=True,
        timeout=args.warmup + args.duration + 60,
        check=True,
    )
    return json.loads(completed.stdout)


def run_http(args: argparse.Namespace, workdir: Path) -> list[Result]:
    result = Result(f"HTTP GET {HTTP_PATH}", "req/s", "bare Flask", "create_app")
    # Requests per CPU-second of the gunicorn process group: the server's own cost,
    # less sensitive than req/s to the load generator sharing the CPUs.
    efficiency = Result("HTTP server efficiency", "req/CPU-s", "bare Flask", "create_app")
    servers = [
        Gunicorn("bare", "apps:bare_app()", args, workdir),
        Gunicorn("factory", "apps:factory_app()", args, workdir),
    ]
    print(
        f"\n== HTTP: gunicorn -c python:service_runtime.gunicorn_conf, "
        f"{args.workers} workers x {args.threads} threads (gthread); load: "
        f"{args.connections} keep-alive connections, {args.warmup:g} s warm-up + "
        f"{args.duration:g} s, {args.rounds} rounds A/B =="
    )
    try:
        for server in servers:
            server.start()
        bodies = {}
        for server in servers:
            bodies[server.label], headers = server.wait_ready()
            if server.label == "factory" and "X-Request-ID" not in headers:
                result.notes.append("the factory app did not send X-Request-ID")
        if bodies["bare"] != bodies["factory"]:
            raise RuntimeError(f"the two apps answer differently: {bodies}")
        errors = 0
        for round_ in range(args.rounds):
            figures = {}
            cpu_per_request = {}
            for server in servers:
                cpu_before = server.cpu_seconds()
                report = drive_load(server, args)
                cpu_after = server.cpu_seconds()
                figures[server.label] = report["rps"]
                errors += int(report["errors"])
                bare = server.label == "bare"
                (result.baseline_values if bare else result.subject_values).append(report["rps"])
                if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
                    per_cpu_s = report["total_requests"] / (cpu_after - cpu_before)
                    cpu_per_request[server.label] = 1e6 / per_cpu_s
                    values = efficiency.baseline_values if bare else efficiency.subject_values
                    values.append(per_cpu_s)
            cpu = ""
            if len(cpu_per_request) == 2:
                cpu = (
                    f"   server CPU/request {cpu_per_request['bare']:.0f} us"
                    f" vs {cpu_per_request['factory']:.0f} us"
                )
            print(
                f"  round {round_ + 1}/{args.rounds}: bare {rate(figures['bare'], 'req/s')}   "
                f"factory {rate(figures['factory'], 'req/s')}   "
                f"ratio {figures['factory'] / figures['bare']:.2f}{cpu}"
            )
        print(
            f"  median: bare {rate(result.baseline_median, 'req/s')}   "
            f"factory {rate(result.subject_median, 'req/s')}   ratio {result.ratio:.2f}"
        )
        if errors:
            result.notes.append(f"{errors} failed requests (non-200 or connection errors)")
    finally:
        for server in servers:
            server.stop()
    if len(efficiency.baseline_values) == len(efficiency.subject_values) == args.rounds:
        return [result, efficiency]
    return [result]


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    outbox = parser.add_argument_group("outbox relay")
    outbox.add_argument(
        "--messages", "-n", type=int, default=10000, help="events per repetition [%(default)s]"
    )
    outbox.add_argument("--reps", type=int, default=5, help="repetitions on SQLite [%(default)s]")
    outbox.add_argument(
        "--pg-reps", type=int, default=3, help="repetitions on PostgreSQL [%(default)s]"
    )
    outbox.add_argument(
        "--partitions", type=int, default=6, help="partitions of each topic [%(default)s]"
    )
    outbox.add_argument("--streams", type=int, default=16, help="distinct keys [%(default)s]")
    outbox.add_argument(
        "--batch-size", type=int, default=0, help="relay batch size [the runtime's default]"
    )
    outbox.add_argument(
        "--baseline-headers",
        action="store_true",
        help="give the bare producer's records the relay's four headers too "
        "(isolates the relay's own database and batching cost)",
    )
    outbox.add_argument(
        "--database-url",
        help="PostgreSQL server for the second outbox run "
        "[$BENCH_DATABASE_URL, else $TEST_DATABASE_URL, else none: skipped]",
    )
    http = parser.add_argument_group("HTTP")
    http.add_argument("--rounds", type=int, default=5, help="A/B rounds [%(default)s]")
    http.add_argument(
        "--duration", type=float, default=5.0, help="seconds measured per run [%(default)s]"
    )
    http.add_argument(
        "--warmup", type=float, default=1.0, help="seconds of warm-up per run [%(default)s]"
    )
    http.add_argument(
        "--connections", type=int, default=8, help="load generator threads [%(default)s]"
    )
    http.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY [%(default)s]")
    http.add_argument("--threads", type=int, default=4, help="GUNICORN_THREADS [%(default)s]")
    parser.add_argument("--skip-outbox", action="store_true", help="skip the outbox benchmark")
    parser.add_argument("--skip-http", action="store_true", help="skip the HTTP benchmark")
    args = parser.parse_args(argv)
    if min(args.messages, args.reps, args.rounds, args.connections) < 1 or args.duration <= 0:
        parser.error("--messages, --reps, --rounds, --connections and --duration must be > 0")
    args.database_url = (
        args.database_url
        or os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
    )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # progress shows up when piped too
    print(
        f"bench/run.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {platform.node()}  "
        f"{os.cpu_count()} CPUs  load avg {os.getloadavg()[0]:.2f}\n"
        f"Python {platform.python_version()}, "
        + ", ".join(f"{name} {version(name)}" for name in PACKAGES)
    )
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    results: list[Result] = []
    try:
        with terminate_on_sigterm():
            if not args.skip_outbox:
                results += run_outbox(args, workdir)
            if not args.skip_http:
                results += run_http(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if results:
        print_summary(results)
    print(f"total time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
