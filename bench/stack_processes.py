"""The stack ``bench/stack.py`` measures: what ``./platform run`` starts, on free ports.

The same processes as the Procfile (the embedded broker, the gateway, an API and a worker
per service), the same set-up commands as ``./platform run`` (migrations, demo prices and
catalog, the admin and the demo customer), each process in its own process group, all in
a temporary data directory; or an already running stack, attached to by its gateway URL.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's
from service_runtime.config import normalise_database_url
from service_runtime.testing.processes import ServiceProcess, free_port

ADMIN = ("admin@shop.local", "admin-change-me")  # ./platform run's defaults
DEMO = ("demo@shop.local", "demo-pass-123")


@dataclass
class Stack:
    """A running stack: its gateway, how to run a service's commands, its processes."""

    gateway: str
    service_env: dict[str, str] = field(default_factory=dict)  # for `python -m <service> ...`
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    root_pids: dict[str, int] = field(default_factory=dict)  # name -> pid to measure from
    workdir: Path | None = None
    flash_pool: str | None = None  # a second gateway for flash-sale traffic, if started

    def cli(self, service: str, *args: str) -> str:
        """``python -m <service> <args>`` against the stack's databases; its stdout."""
        completed = subprocess.run([sys.executable, "-m", service, *args],
                                   env={**os.environ, **self.service_env}, capture_output=True,
                                   text=True, timeout=120, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"{service} {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
        return completed.stdout.strip()

    def database_url(self, service: str) -> str:
        """The SQLAlchemy URL of ``service``'s database, as its processes name it."""
        shared = self.service_env.get("DATABASE_URL")
        if shared:
            return normalise_database_url(shared.replace("{service}", service))
        return f"sqlite:///{Path(self.service_env['SHOP_DATA_DIR']) / f'{service}.db'}"

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            try:
                process.terminate(timeout=20)
            except Exception:
                process.kill()


def attach(gateway: str, stack_pid: int | None) -> Stack:
    """A stack started elsewhere (``./platform run``): its commands run with this process's
    environment (``SHOP_DATA_DIR``, ``DATABASE_URL``), as ``./platform run`` gives them."""
    requests.get(f"{gateway}/healthz", timeout=5).raise_for_status()
    stack = Stack(gateway=gateway.rstrip("/"))
    stack.service_env = {"SHOP_DATA_DIR": os.environ.get("SHOP_DATA_DIR", "var/data")}
    if stack_pid:
        stack.root_pids["stack"] = stack_pid
    return stack


def start(workdir: Path, database_url: str | None, web_concurrency: int,
          partitions: int | None = None, extra_env: dict[str, str] | None = None,
          flash_pool: bool = False) -> Stack:
    """Start every process of the Procfile on free ports; return once all are healthy.
    ``partitions``: of each topic (default: the platform's); ``extra_env`` is given to
    every process (e.g. a higher sign-up rate limit); ``flash_pool``: a second gateway
    (``Stack.flash_pool``), for flash-sale traffic kept apart from the rest."""
    ports = {service: free_port() for service in SERVICES}
    gateway_port, broker_port = free_port(), free_port()
    gateway = f"http://127.0.0.1:{gateway_port}"
    common = {
        "SHOP_DATA_DIR": str(workdir / "data"),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{broker_port}",
        "WEB_CONCURRENCY": str(web_concurrency),
        "PYTHONUNBUFFERED": "1",
        "AUTH_JWKS_URL": f"http://127.0.0.1:{ports['user']}/api/v1/auth/jwks.json",
        "CART_SERVICE_URL": f"http://127.0.0.1:{ports['cart']}",
        "USER_SERVICE_URL": f"http://127.0.0.1:{ports['user']}",
        "PAYMENT_PUBLIC_URL": gateway,
        "PAYMENT_NOTIFY_URL": gateway,
        # The benchmark signs up its shoppers from one address.
        "AUTH_RATE_LIMIT": "600/minute",
        **{f"{s.upper()}_SERVICE_URL": f"http://127.0.0.1:{port}" for s, port in ports.items()},
    }
    if database_url:
        common["DATABASE_URL"] = database_url
    common.update(extra_env or {})
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    stack = Stack(gateway=gateway, service_env=common, workdir=workdir)
    try:
        broker = ServiceProcess("broker", [sys.executable, "-m", "service_runtime.broker",
                                           "--port", str(broker_port),
                                           *(["--partitions", str(partitions)] if partitions
                                             else [])], common, logs).start()
        stack.processes["broker"] = broker
        migrations = [subprocess.Popen([sys.executable, "-m", s, "migrate", "--create-database"],
                                       env={**os.environ, **common},
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                      for s in SERVICES]
        for service, migration in zip(SERVICES, migrations, strict=True):
            _, stderr = migration.communicate(timeout=300)
            if migration.returncode != 0:
                raise RuntimeError(f"{service} migrate failed:\n{stderr.decode()[-3000:]}")
        stack.cli("order", "load-demo-prices")
        stack.cli("catalog", "load-demo-catalog")
        stack.cli("user", "ensure-admin")
        demo_user = stack.cli("user", "ensure-customer", *DEMO).splitlines()[-1]
        stack.cli("payment", "credit-wallet", demo_user, "100000",
                  "--reference", "demo-opening-balance")
        _wait_for_broker(broker, broker_port)
        health = {}
        for service, port in ports.items():
            stack.processes[f"{service}-api"] = ServiceProcess(
                f"{service}-api", [sys.executable, "-m", service, "api", "--port", str(port)],
                common, logs).start()
            health[f"{service}-api"] = f"http://127.0.0.1:{port}/healthz"
            worker_port = free_port()
            stack.processes[f"{service}-worker"] = ServiceProcess(
                f"{service}-worker", [sys.executable, "-m", service, "worker"],
                {**common, "WORKER_PORT": str(worker_port)}, logs).start()
            health[f"{service}-worker"] = f"http://127.0.0.1:{worker_port}/healthz"
        # As the Procfile runs it: two processes unless GATEWAY_WEB_CONCURRENCY says otherwise.
        gateway_workers = os.environ.get("GATEWAY_WEB_CONCURRENCY", "2")
        stack.processes["gateway"] = ServiceProcess(
            "gateway", [sys.executable, "-m", "api_gateway", "api", "--port", str(gateway_port)],
            {**common, "WEB_CONCURRENCY": gateway_workers}, logs).start()
        health["gateway"] = f"{gateway}/healthz"
        if flash_pool:
            flash_port = free_port()
            stack.flash_pool = f"http://127.0.0.1:{flash_port}"
            stack.processes["gateway-flash"] = ServiceProcess(
                "gateway-flash",
                [sys.executable, "-m", "api_gateway", "api", "--port", str(flash_port)],
                {**common, "WEB_CONCURRENCY": gateway_workers}, logs).start()
            health["gateway-flash"] = f"{stack.flash_pool}/healthz"
        for name, url in health.items():
            stack.processes[name].wait_healthy(url, timeout=120)
        stack.root_pids = {name: process.pid for name, process in stack.processes.items()}
        return stack
    except BaseException:
        stack.stop()
        raise


def _wait_for_broker(broker: ServiceProcess, port: int, timeout_s: float = 60) -> None:
    """shop-broker is ready once it has created the topics: it logs "broker ready"."""
    deadline = time.monotonic() + timeout_s
    while "broker ready" not in broker.logs():
        if not broker.running():
            raise RuntimeError(f"the broker exited:\n{broker.logs()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the broker on port {port} was not ready in {timeout_s} s")
        time.sleep(0.2)


# --------------------------------------------------------------------------- /proc


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rfind(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(roots: dict[str, int]) -> list[int]:
    """Every root and its descendants."""
    children = _children()
    pids, pending = [], list(roots.values())
    while pending:
        pid = pending.pop()
        pids.append(pid)
        pending += children.get(pid, [])
    return pids


def label(pid: int) -> str:
    """What a process of the stack is, from its command line: ``catalog-api`` (a gunicorn
    master or worker), ``catalog-worker``, ``gateway``, ``broker``."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        args = [arg for arg in raw.split("\0") if arg]
    except OSError:
        return "?"
    if len(args) == 1:  # a title set by setproctitle: gunicorn's, or shop-launcher's
        args = args[0].split()
    if not args:
        return "?"
    if args[0] == "gunicorn:" and len(args) > 2:  # "gunicorn: master [user.app:create_app()]"
        app = args[2].strip("[]").split(".")[0]
        return "gateway" if app == "api_gateway" else f"{app}-api"
    if "-m" in args[:-1]:
        module, rest = args[args.index("-m") + 1], args[args.index("-m") + 2:]
        if module == "gunicorn":
            app = rest[-1].split(".")[0] if rest else "?"
            return "gateway" if app == "api_gateway" else f"{app}-api"
        if module == "service_runtime.broker":
            return "broker"
        return f"{module}-{rest[0]}" if rest and not rest[0].startswith("-") else module
    name = Path(args[0]).name
    if name.startswith("python") and len(args) > 1:
        name = Path(args[1]).name  # a script: honcho, this benchmark's own runner
    return "broker" if name.startswith(("tansu", "shop-broker")) else name


def rss_bytes(pid: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rfind(")") + 2:].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")
