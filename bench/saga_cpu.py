"""Where the CPU of one order goes: CPU milliseconds per order, per process of the stack.

    .venv/bin/python bench/saga_cpu.py [--orders 200] [--rate 10] [--pay]

Starts the stack as ``bench/stack.py`` does (or attaches with ``--gateway`` and
``--stack-pid``), makes shoppers, then places ``--orders`` orders at ``--rate`` a second
(and, with ``--pay``, pays each once payable) and waits until every one reached
``awaiting_payment`` (or ``paid``). The CPU time of every process between the first order
and the last status, divided by the orders, is that process's share of one order; the
same is measured over an idle stretch of equal length first and subtracted, so what the
stack burns doing nothing is not charged to orders. CPU time, not wall time: the figure
holds on a busy machine. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack_processes as processes
import stack_saga as saga
from run import terminate_on_sigterm
from stack_processes import cpu_seconds, process_tree


def per_process_cpu(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each root process and its children, by name."""
    return {name: cpu_seconds(process_tree({name: pid})) for name, pid in roots.items()}


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="[%(default)s]")
    parser.add_argument("--rate", type=float, default=10, help="orders/s [%(default)s]")
    parser.add_argument("--pay", action="store_true", help="also pay each order")
    parser.add_argument("--shoppers", type=int, default=4, help="[%(default)s]")
    parser.add_argument("--database-url", help="DATABASE_URL with {service}")
    parser.add_argument("--partitions", type=int, help="partitions per topic [the platform's]")
    parser.add_argument("--gateway", help="attach to the stack behind this gateway URL")
    parser.add_argument("--stack-pid", type=int, help="with --gateway: its root pid")
    parser.add_argument("--admin", default=processes.ADMIN[0])
    parser.add_argument("--admin-password", default=processes.ADMIN[1])
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    print(f"bench/saga_cpu.py  {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC  "
          f"{platform.node()}  {os.cpu_count()} CPUs  load avg {os.getloadavg()[0]:.2f}")
    workdir = Path(tempfile.mkdtemp(prefix="shop-saga-cpu-"))
    stack = None
    try:
        if args.gateway:
            stack = processes.attach(args.gateway, args.stack_pid)
        else:
            stack = processes.start(workdir, args.database_url, 1, args.partitions)
        roots = {name: process.pid for name, process in stack.processes.items()} \
            or dict(stack.root_pids)
        admin = saga.sign_in(stack, args.admin, args.admin_password)
        shoppers = saga.prepare(stack, admin, args.shoppers)
        seconds = args.orders / args.rate
        time.sleep(3)
        before_idle = per_process_cpu(roots)
        time.sleep(seconds)
        idle = delta(per_process_cpu(roots), before_idle)

        before = per_process_cpu(roots)
        started = time.monotonic()
        placed = saga.at_rate(args.rate, args.orders,
                              lambda i: saga.place(stack, shoppers[i % len(shoppers)]))
        owner = {p[0]: i % len(shoppers) for i, p in enumerate(placed) if p}
        awaiting = saga.reached(stack, shoppers, owner, saga.AWAITING, 300)
        if args.pay:
            payable = [o for o in owner if o in awaiting]
            saga.at_rate(args.rate, len(payable),
                         lambda i: saga.pay(stack, shoppers[owner[payable[i]]], payable[i]))
            saga.reached(stack, shoppers, {o: owner[o] for o in payable}, saga.PAID, 300)
        elapsed = time.monotonic() - started
        busy = delta(per_process_cpu(roots), before)
        orders = len(owner)
        print(f"{orders} orders placed at {args.rate:g}/s"
              f"{' and paid' if args.pay else ''}; {len(awaiting)} reached awaiting_payment;"
              f" {elapsed:.1f} s from the first order to the last status")
        print(f"{'process':<24}{'CPU ms per order':>18}{'idle share':>12}")
        total = 0.0
        for name in sorted(busy, key=lambda n: -busy[n]):
            # What the process burns idle over the same stretch is not the orders' doing.
            charged = max(0.0, busy[name] - idle.get(name, 0.0) * elapsed / seconds)
            total += charged
            print(f"{name:<24}{charged * 1000 / max(1, orders):>18.1f}"
                  f"{idle.get(name, 0.0) / seconds:>11.2f}c")
        print(f"{'the whole stack':<24}{total * 1000 / max(1, orders):>18.1f}")
    finally:
        if stack is not None and stack.processes:
            stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    # SIGTERM (a timeout, ``kill``) stops the stack it started, as Ctrl-C does.
    with terminate_on_sigterm():
        sys.exit(main())
