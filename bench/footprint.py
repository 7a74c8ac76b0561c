"""Memory and idle CPU of the whole embedded stack, as ``./platform run`` starts it.

    .venv/bin/python bench/footprint.py [--idle 20] [--settle 30] [--probe readyz]

Starts ``./platform run`` with ``SHOP_DATA_DIR`` in a temporary directory, waits until
the gateway and every service's API and worker answer ``/healthz`` (``--probe readyz``:
``/readyz``, as Kubernetes asks, which also loads the schema and broker checks), lets
the start-up settle, then prints one table: every process of the stack (the process tree under
``./platform run``) with its threads, RSS, PSS and USS (``/proc/<pid>/smaps_rollup``),
and the CPU it used while nothing happened for ``--idle`` seconds; then the totals by
kind of process and for the whole tree (cores busy = CPU seconds / wall seconds). Then
it stops the stack (SIGINT, as Ctrl-C does) and removes the temporary directory.

The stack listens on its default ports (the Procfile names them: gateway 8080, APIs
81xx, workers 91xx, broker 9092), so they must be free: the benchmark refuses to start
otherwise. Linux only (``/proc``). A benchmark, not a test: it asserts nothing.

RSS counts every page a process maps, shared ones too, so summed it overstates what the
stack costs; PSS divides each shared page between the processes sharing it, so PSS sums
to the memory the stack really holds; USS is what a process alone holds (what killing
it would free).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's

ROOT = Path(__file__).resolve().parent.parent
BROKER_PORT = 9092
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Endpoint:
    name: str
    port: int


def stack_endpoints() -> list[Endpoint]:
    """The gateway, every API and every worker, at the ports their definitions give."""
    gateway = importlib.import_module("api_gateway.definition")
    endpoints = [Endpoint("gateway", gateway.DEFINITION.api_port),
                 Endpoint("gateway-flash", gateway.FLASH_POOL.api_port)]
    for service in SERVICES:
        definition = importlib.import_module(f"{service}.definition").DEFINITION
        endpoints.append(Endpoint(f"{service}-api", definition.api_port))
        endpoints.append(Endpoint(f"{service}-worker", definition.worker_port))
    return endpoints


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def answers(endpoint: Endpoint, probe: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{endpoint.port}/{probe}", timeout=2) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


# --------------------------------------------------------------------------- /proc


@dataclass
class Sample:
    pid: int
    ppid: int
    command: str
    threads: int
    cpu_ticks: int
    rss_kb: int
    pss_kb: int
    uss_kb: int


def read_sample(pid: int) -> Sample | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ")".
    fields = stat[stat.rindex(")") + 2:].split()
    memory = {}
    for line in rollup.splitlines()[1:]:
        key, _, value = line.partition(":")
        memory[key] = int(value.split()[0])
    command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return Sample(
        pid=pid, ppid=int(fields[1]), command=command or stat[stat.index("(") + 1:
                                                                stat.rindex(")")],
        threads=int(fields[17]), cpu_ticks=int(fields[11]) + int(fields[12]),
        rss_kb=memory.get("Rss", 0), pss_kb=memory.get("Pss", 0),
        uss_kb=memory.get("Private_Clean", 0) + memory.get("Private_Dirty", 0))


def tree(root: int) -> list[Sample]:
    """The root and every descendant, parents before children."""
    samples = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (sample := read_sample(int(entry.name))) is not None:
            samples[sample.pid] = sample
    children: dict[int, list[int]] = {}
    for sample in samples.values():
        children.setdefault(sample.ppid, []).append(sample.pid)
    ordered, stack = [], [root]
    while stack:
        pid = stack.pop()
        if pid in samples:
            ordered.append(samples[pid])
            stack.extend(sorted(children.get(pid, []), reverse=True))
    return ordered


def depth(sample: Sample, by_pid: dict[int, Sample]) -> int:
    level = 0
    while sample.ppid in by_pid:
        sample, level = by_pid[sample.ppid], level + 1
    return level


def short_command(command: str) -> str:
    venv = str(ROOT / ".venv" / "bin") + "/"
    text = command.replace(venv, "").replace(str(ROOT) + "/", "")
    text = text.replace("-c python:service_runtime.gunicorn_conf ", "")
    return text if len(text) <= 58 else text[:55] + "..."


def kind(sample: Sample, by_pid: dict[int, Sample]) -> str:
    """What a process is there for, to total the table by kind."""
    command = sample.command
    parent = by_pid.get(sample.ppid)
    if "honcho" in command or "shop-launcher" in command:
        return "process manager (shop-launcher: honcho)"
    if command.startswith(("/bin/sh", "sh ")):
        return "shells"
    if "gunicorn" in command and "api_gateway" in command:
        return "gateway (gunicorn)"
    if "gunicorn" in command:
        is_worker = parent is not None and "gunicorn" in parent.command
        return "API workers (gunicorn)" if is_worker else "API masters (gunicorn)"
    if command.endswith(" worker"):
        return "service workers"
    if "shop-broker" in command or "tansu" in command or "broker" in command:
        return "broker"
    return "other"


# --------------------------------------------------------------------------- the stack


@contextlib.contextmanager
def running_stack(data_dir: Path, log_path: Path, probe: str,
                  timeout_s: float) -> Iterator[int]:
    """``./platform run`` until every endpoint answers ``probe``; yields the pid of its root."""
    env = {**os.environ, "SHOP_DATA_DIR": str(data_dir)}
    env = {k: v for k, v in env.items() if not k.endswith("DATABASE_URL")
           and k != "KAFKA_BOOTSTRAP_SERVERS"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(ROOT / "platform"), "run"], stdout=log,
                                   stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        endpoints = stack_endpoints()
        deadline = time.monotonic() + timeout_s
        waiting = list(endpoints)
        while waiting:
            if process.poll() is not None:
                raise RuntimeError(f"./platform run exited with {process.returncode}")
            if time.monotonic() > deadline:
                names = ", ".join(endpoint.name for endpoint in waiting)
                raise RuntimeError(f"not ready after {timeout_s:.0f} s: {names}")
            waiting = [endpoint for endpoint in waiting if not answers(endpoint, probe)]
            time.sleep(0.5)
        yield process.pid
    finally:
        stop_stack(process)


def stop_stack(process: subprocess.Popen) -> None:
    """SIGINT, as Ctrl-C; whatever is left of the tree after 30 s is killed."""
    pids = [sample.pid for sample in tree(process.pid)]
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


# --------------------------------------------------------------------------- report


def mb(kb: float) -> str:
    return f"{kb / 1024:,.1f}"


def report(before: list[Sample], after: list[Sample], idle_s: float) -> None:
    by_pid = {sample.pid: sample for sample in after}
    start_ticks = {sample.pid: sample.cpu_ticks for sample in before}
    gone = len(set(start_ticks) - set(by_pid))
    rows, totals = [], {}
    for sample in after:
        cores = (sample.cpu_ticks - start_ticks.get(sample.pid, 0)) / CLOCK_TICKS / idle_s
        label = "  " * depth(sample, by_pid) + short_command(sample.command)
        rows.append((sample, label, cores))
        group = totals.setdefault(kind(sample, by_pid), [0, 0, 0, 0, 0, 0.0])
        for index, value in enumerate((1, sample.threads, sample.rss_kb, sample.pss_kb,
                                       sample.uss_kb, cores)):
            group[index] += value
    line = "-" * 110
    print(line)
    print(f"{'pid':>7}  {'process':<60} {'thr':>4} {'RSS MB':>8} {'PSS MB':>8} "
          f"{'USS MB':>8} {'cores':>6}")
    print(line)
    for sample, label, cores in rows:
        print(f"{sample.pid:>7}  {label:<60} {sample.threads:>4} {mb(sample.rss_kb):>8} "
              f"{mb(sample.pss_kb):>8} {mb(sample.uss_kb):>8} {cores:>6.3f}")
    print(line)
    for name, (count, threads, rss, pss, uss, cores) in sorted(totals.items()):
        print(f"{'':>7}  {f'{name}: {count}':<60} {threads:>4} {mb(rss):>8} {mb(pss):>8} "
              f"{mb(uss):>8} {cores:>6.3f}")
    print(line)
    total = [sum(values[i] for values in totals.values()) for i in range(6)]
    print(f"{'':>7}  {f'the whole stack: {total[0]} processes':<60} {total[1]:>4} "
          f"{mb(total[2]):>8} {mb(total[3]):>8} {mb(total[4]):>8} {total[5]:>6.3f}")
    print(line)
    print(f"cores = CPU seconds used / {idle_s:.0f} s of wall time while idle"
          + (f"; {gone} processes ended meanwhile" if gone else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=float, default=20, help="seconds of idleness measured")
    # 30 s: past the consumers' first seconds in their group (they poll plainly while
    # their partitions' positions are found) and the first revocation fetches.
    parser.add_argument("--settle", type=float, default=30,
                        help="seconds to wait after everything is ready, before measuring")
    parser.add_argument("--probe", choices=["healthz", "readyz"], default="healthz",
                        help="what every process must answer before the stack counts as up")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds to wait for the stack to be ready")
    args = parser.parse_args()

    busy = [port for port in [BROKER_PORT, *(e.port for e in stack_endpoints())]
            if port_in_use(port)]
    if busy:
        print(f"footprint: ports {busy} are in use; the stack needs its default ports",
              file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    print(f"bench/footprint.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
          f"{os.cpu_count()} CPUs  load avg {load:.2f}")
    scratch = Path(tempfile.mkdtemp(prefix="shop-footprint-"))
    try:
        started = time.monotonic()
        with running_stack(scratch / "data", scratch / "platform.log", args.probe,
                           args.timeout) as root:
            print(f"every process answered /{args.probe} after "
                  f"{time.monotonic() - started:.0f} s; "
                  f"settling {args.settle:.0f} s, then measuring {args.idle:.0f} s of idleness")
            time.sleep(args.settle)
            before = tree(root)
            time.sleep(args.idle)
            after = tree(root)
        report(before, after, args.idle)
    except RuntimeError as error:
        log = scratch / "platform.log"
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        print(f"footprint: {error}\n{tail}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    from run import terminate_on_sigterm

    # SIGTERM (a timeout, ``kill``) stops what it started, as Ctrl-C does.
    with terminate_on_sigterm():
        sys.exit(main())
