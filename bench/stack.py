"""Benchmark the whole stack through its gateway against a bare endpoint in the same run.

    .venv/bin/python bench/stack.py                # starts ./platform run's processes itself
    .venv/bin/python bench/stack.py --gateway http://127.0.0.1:8080 --stack-pid <honcho pid>
    .venv/bin/python bench/stack.py --help

1. The ceiling: a bare Flask JSON endpoint (``bench/apps.py``) under gunicorn, 2 workers x
   8 threads, loaded by ``bench/loadgen.py`` with 16 keep-alive connections.
2. Through the gateway, with the same load: the product list (``?limit=20``), a product
   page (the best seller's), product pages of the first page's 20 ids in turn, and a
   search (``?q=电热水壶``): req/s, p50, p99 and the share of the ceiling. Rounds
   alternate ceiling and paths; medians are shown.
3. The saga (``bench/stack_saga.py``): orders placed at a steady rate, each hop's p50 and
   p99; then orders placed by 16 clients as fast as they go, and whether the saga keeps up.
4. The stack's cost: CPU while idle (20 s, once the start has settled, before any load)
   and the RSS of every process (after the load).

Prints one table at the end. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
import stack_processes as processes
import stack_saga as saga
import stack_trace
from run import Gunicorn, terminate_on_sigterm

BENCH_DIR = Path(__file__).resolve().parent
SEARCH = "电热水壶"
PRODUCT_PAGES = 20


def drive(url: str, paths: list[str], args: argparse.Namespace,
          headers: dict[str, str] | None = None) -> dict[str, float]:
    """bench/loadgen.py against ``url``: its JSON report (req/s, p50_ms, p99_ms, errors)."""
    parts = urlsplit(url)
    command = [sys.executable, str(BENCH_DIR / "loadgen.py"), "--host", parts.hostname,
               "--port", str(parts.port), "--connections", str(args.connections),
               "--warmup", str(args.warmup), "--duration", str(args.duration)]
    for path in paths:
        command += ["--path", path]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    completed = subprocess.run(command, capture_output=True, text=True, check=True,
                               timeout=args.warmup + args.duration + 60)
    return json.loads(completed.stdout)


def browse_paths(gateway: str) -> dict[str, list[str]]:
    listing = requests.get(f"{gateway}/api/v1/products", params={"limit": PRODUCT_PAGES},
                           timeout=30)
    listing.raise_for_status()
    ids = [item["id"] for item in listing.json()["items"]]
    return {
        "GET /products?limit=20": ["/api/v1/products?limit=20"],
        "GET /products/{id} (1 id)": [f"/api/v1/products/{ids[0]}"],
        f"GET /products/{{id}} ({len(ids)} ids)": [f"/api/v1/products/{i}" for i in ids],
        f"search q={SEARCH}": [f"/api/v1/products?q={quote(SEARCH)}"],
    }


def measure_browse(gateway: str, args: argparse.Namespace,
                   workdir: Path) -> dict[str, list[dict[str, float]]]:
    runs: dict[str, list[dict[str, float]]] = {"ceiling": []}
    ceiling = Gunicorn("ceiling", "apps:bare_app()",
                       argparse.Namespace(workers=2, threads=8), workdir)
    paths = browse_paths(gateway)
    try:
        ceiling.start()
        ceiling.wait_ready()
        for round_ in range(args.rounds):
            report = drive(ceiling.url, [urlsplit(ceiling.url).path], args)
            runs["ceiling"].append(report)
            line = [f"ceiling {report['rps']:,.0f}"]
            for name, targets in paths.items():
                report = drive(gateway, targets, args)
                runs.setdefault(name, []).append(report)
                line.append(f"{name} {report['rps']:,.0f}")
            print(f"  round {round_ + 1}/{args.rounds} req/s: " + ", ".join(line))
    finally:
        ceiling.stop()
    return runs


def median_of(reports: list[dict[str, float]], key: str) -> float:
    return statistics.median(report[key] for report in reports)


IDLE_SETTLE_S = 30  # after start, before the idle stretch
IDLE_S = 20


def idle_cpu(roots: dict[str, int], seconds: float) -> float:
    """Cores busy, on average, over ``seconds`` of the stack doing nothing asked of it."""
    pids = processes.process_tree(roots)
    before = processes.cpu_seconds(pids)
    time.sleep(seconds)
    return (processes.cpu_seconds(pids) - before) / seconds


def memory_rows(roots: dict[str, int]) -> list[tuple[str, ...]]:
    """One row per kind of process (a gunicorn master and its workers together)."""
    kinds: dict[str, list[int]] = {}
    for pid in processes.process_tree(roots):
        size = processes.rss_bytes(pid)
        if size:
            kinds.setdefault(processes.label(pid), []).append(size)
    rows = []
    for kind, sizes in sorted(kinds.items()):
        detail = " + ".join(f"{rss / 2**20:.0f}" for rss in sizes)
        rows.append((f"RSS {kind}", f"{sum(sizes) / 2**20:,.0f} MB", "", "",
                     f"{len(sizes)} processes: {detail}" if len(sizes) > 1 else ""))
    total = sum(sum(sizes) for sizes in kinds.values())
    count = sum(len(sizes) for sizes in kinds.values())
    rows.append(("RSS, the whole stack", f"{total / 2**20:,.0f} MB", "", "",
                 f"{count} processes"))
    return rows


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def table(browse: dict[str, list[dict[str, float]]], hops: dict[str, saga.Hop] | None,
          rate: float, burst: saga.Throughput | None, connections: int, idle: float | None,
          memory: list[tuple[str, ...]], traced: dict[str, list[float]] | None = None) -> str:
    ceiling = median_of(browse["ceiling"], "rps")
    rows: list[tuple[str, ...]] = [("figure", "value", "p50", "p99", "share of the ceiling")]
    for name, reports in browse.items():
        rps = median_of(reports, "rps")
        label = "ceiling: bare Flask, gunicorn 2x8" if name == "ceiling" else f"gateway {name}"
        errors = sum(int(r["errors"]) for r in reports)
        rows.append((f"{label}, c={connections}", f"{rps:,.0f} req/s",
                     f"{median_of(reports, 'p50_ms'):,.1f} ms",
                     f"{median_of(reports, 'p99_ms'):,.1f} ms",
                     f"{rps / ceiling:.1%}" + (f" ({errors} errors)" if errors else "")))
    if hops:
        for name, hop in hops.items():
            if name.startswith("_"):
                continue
            note = f"n={len(hop.latencies)}" + (f", {hop.missing} never" if hop.missing else "")
            rows.append((f"saga at {rate:g} orders/s: {name}", "", ms(hop.percentile(50)),
                         ms(hop.percentile(99)), note))
            if name.startswith("placed") and traced:
                rows += stack_trace.rows(traced)
        if hops["_errors"].missing:
            rows.append(("saga: requests refused", str(hops["_errors"].missing), "", "", ""))
    if burst:
        rows.append((f"POST /orders, c={connections}", f"{burst.placed_per_s:,.1f} orders/s",
                     "", "", f"{burst.placed_per_s / ceiling:.2%}"
                     + (f" ({burst.errors} refused)" if burst.errors else "")))
        rows.append((f"  saga at c={connections}: placed -> awaiting_payment",
                     f"{burst.saga_per_s:,.1f} orders/s", ms(burst.to_awaiting.percentile(50)),
                     ms(burst.to_awaiting.percentile(99)),
                     f"last one {ms(burst.drained_after_s)} after the last 201"
                     + (f", {burst.to_awaiting.missing} never" if burst.to_awaiting.missing
                        else "")))
    if idle is not None:
        rows.append((f"CPU of the whole stack, idle {IDLE_S:g} s", f"{idle:.2f} cores",
                     "", "", ""))
    rows += memory
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) if i < 4 else cell
                       for i, (cell, width) in enumerate(zip(row, widths, strict=True)))
             for row in rows]
    rule = "-" * max(len(line) for line in lines)
    return "\n".join([rule, lines[0], rule, *lines[1:], rule])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", help="attach to the stack behind this gateway URL "
                        "[start one: ./platform run's processes on free ports]")
    parser.add_argument("--stack-pid", type=int, help="with --gateway: the pid whose "
                        "descendants are the stack (./platform run's honcho), for CPU and RSS")
    parser.add_argument("--database-url", help="started stack: DATABASE_URL with {service} "
                        "[SQLite files in a temporary directory]")
    parser.add_argument("--web-concurrency", type=int, default=1,
                        help="started stack: gunicorn workers per API [%(default)s, "
                        "as ./platform run]")
    parser.add_argument("--connections", type=int, default=16, help="[%(default)s]")
    parser.add_argument("--rounds", type=int, default=3, help="browse rounds [%(default)s]")
    parser.add_argument("--duration", type=float, default=6, help="s per run [%(default)s]")
    parser.add_argument("--warmup", type=float, default=2, help="s per run [%(default)s]")
    parser.add_argument("--order-rate", type=float, default=20, help="orders/s [%(default)s]")
    parser.add_argument("--saga-seconds", type=float, default=10,
                        help="seconds of steady orders, and of orders at full speed "
                        "[%(default)s]")
    parser.add_argument("--shoppers", type=int, default=4, help="[%(default)s]")
    parser.add_argument("--skip-saga", action="store_true")
    parser.add_argument("--admin", default=os.environ.get("ADMIN_EMAIL", processes.ADMIN[0]))
    parser.add_argument("--admin-password",
                        default=os.environ.get("ADMIN_PASSWORD", processes.ADMIN[1]))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    print(f"bench/stack.py  {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC  "
          f"{platform.node()}  {os.cpu_count()} CPUs  load avg {os.getloadavg()[0]:.2f}")
    workdir = Path(tempfile.mkdtemp(prefix="shop-stack-bench-"))
    stack = None
    try:
        with terminate_on_sigterm():
            if args.gateway:
                stack = processes.attach(args.gateway, args.stack_pid)
            else:
                print(f"starting the stack (WEB_CONCURRENCY={args.web_concurrency}) in {workdir}")
                stack = processes.start(workdir, args.database_url, args.web_concurrency)
            idle = None
            if stack.root_pids:
                # The start-up's own work (demo data's events, consumers joining their
                # groups, first job runs) takes about half a minute to settle.
                time.sleep(IDLE_SETTLE_S)
                idle = idle_cpu(stack.root_pids, IDLE_S)
                print(f"idle: {idle:.2f} cores busy")
            print(f"browsing through {stack.gateway}, c={args.connections}, "
                  f"{args.warmup:g} s warm-up + {args.duration:g} s, {args.rounds} rounds")
            browse = measure_browse(stack.gateway, args, workdir)
            hops = burst = traced = None
            if not args.skip_saga:
                admin = saga.sign_in(stack, args.admin, args.admin_password)
                shoppers = saga.prepare(stack, admin, args.shoppers)
                print(f"saga: {args.order_rate:g} orders/s for {args.saga_seconds:g} s")
                hops, placed = saga.steady(stack, admin, shoppers, args.order_rate,
                                           args.saga_seconds)
                if stack.processes:  # a stack of our own: its databases are known
                    traced = stack_trace.trace(stack.database_url, placed)
                print(f"saga: orders at c={args.connections} for {args.saga_seconds:g} s")
                burst = saga.throughput(stack, shoppers, args.connections, args.saga_seconds)
            memory = memory_rows(stack.root_pids) if stack.root_pids else []
            print(table(browse, hops, args.order_rate, burst, args.connections, idle, memory,
                        traced))
    finally:
        if stack is not None and stack.processes:
            stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
