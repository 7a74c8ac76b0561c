"""A flash-sale storm against the running stack (issue 13), with its bare-endpoint ceiling.

    .venv/bin/python bench/flash_sale.py                    # starts a stack of its own
    .venv/bin/python bench/flash_sale.py --buyers 300 --units 30      # a short run
    .venv/bin/python bench/flash_sale.py --gateway http://127.0.0.1:8080 --help
    .venv/bin/python bench/flash_sale.py --gate-redis redis://127.0.0.1:6379/14   # Redis gate

1. The ceiling: the bare Flask endpoint of ``bench/apps.py`` (gunicorn 2 x 8), loaded by
   ``bench/loadgen.py`` with ``--connections`` keep-alive connections.
2. ``--buyers`` distinct buyers are signed up (each with an address; on a stack of its
   own through ``python -m user load-test-shoppers``); an admin opens a
   session of ``--units`` units (per-user limit 1) and waits until the catalog holds them.
3. A normal shopper's ``GET /products/{id}`` p99 with no storm (``--shopper-seconds``).
4. The storm: every buyer tries once, over ``--connections`` connections, through the
   gateway's flash-sale pool (``--one-gateway``: through the shoppers' gateway), from a client
   process of its own (this file with ``--storm``), while a shopper keeps reading product
   pages from another (``--shopper``: in the storm's process its reads would wait for the
   GIL behind 64 threads): the gate's answers/s as a share of the ceiling, p50/p99 of the
   sold-out answers, the p99 of the shopper's reads that began during the storm.
5. Time from the storm's start until every won attempt has its order; the checks: orders
   = units, none oversold (ordered attempts beyond the units), no buyer or order twice;
   ``python -m marketing flash-reconcile`` on the stack's databases (a started stack).

Targets (issue 13): exactly ``units`` orders, 0 oversold, 0 duplicates; the gate >= 30 %
of the ceiling; sold-out p99 <= 20 ms; the shopper's p99 at most 2x during the storm.
A benchmark, not a test: it prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
import stack_processes as processes
from loadgen import percentiles_ms
from run import Gunicorn, terminate_on_sigterm

BENCH_DIR = Path(__file__).resolve().parent
SKU = "PHONE-CASE-CLEAR"  # the demo catalog's featured SKU with 500 in stock
HOME = {"recipient": "秒杀压测", "phone": "13900139000", "province": "上海市",
        "city": "上海市", "district": "徐汇区", "detail": "漕溪北路 88 号"}


# -- the storm client (its own process) ---------------------------------------------------


def storm_client(spec: dict) -> dict:
    """Each buyer's one attempt over ``connections`` keep-alive connections."""
    host, port = spec["host"], spec["port"]
    buyers = iter(enumerate(spec["buyers"]))
    lock, answers = threading.Lock(), []
    storm_started = time.perf_counter()

    def attacker() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        while True:
            with lock:
                nxt = next(buyers, None)
            if nxt is None:
                break
            index, (authorization, address_id) = nxt
            body = json.dumps({"quantity": 1, "address_id": address_id})
            started = time.perf_counter()
            try:
                connection.request("POST", spec["path"], body=body, headers={
                    "Authorization": authorization, "Content-Type": "application/json"})
                response = connection.getresponse()
                payload = json.loads(response.read() or b"{}")
                status = response.status
            except (OSError, http.client.HTTPException, ValueError):
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
                status, payload = 0, {}
            answered = time.perf_counter()
            answers.append((index, status, payload.get("type") or payload.get("attempt_id"),
                            answered - started, answered - storm_started))
        connection.close()

    began_at = time.time()
    attackers = [threading.Thread(target=attacker) for _ in range(spec["connections"])]
    for thread in attackers:
        thread.start()
    for thread in attackers:
        thread.join()
    return {"elapsed_s": time.perf_counter() - storm_started, "began_at": began_at,
            "ended_at": time.time(), "answers": answers}


def shopper_client(spec: dict) -> dict:
    """A person reading a product page now and then, in a process of its own (as on a phone
    of its own: in the storm's process it would wait for the storm's threads to let it
    run), until ``stop_file`` exists or for ``seconds``: each read's wall-clock start and
    latency."""
    connection = http.client.HTTPConnection(spec["host"], spec["port"], timeout=30)
    reads = []
    until = time.monotonic() + spec.get("seconds", 3600)
    stop_file = Path(spec["stop_file"]) if spec.get("stop_file") else None
    while time.monotonic() < until and not (stop_file and stop_file.exists()):
        began_at, started = time.time(), time.perf_counter()
        connection.request("GET", spec["product_path"])
        response = connection.getresponse()
        response.read()
        if response.status == 200:
            reads.append((began_at, time.perf_counter() - started))
        time.sleep(0.01)  # a person, not a load generator
    connection.close()
    return {"reads": reads}


def client_command(role: str, spec: dict, workdir: Path) -> list[str]:
    path = workdir / f"{role}-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(spec))
    return [sys.executable, str(Path(__file__)), f"--{role}", str(path)]


def run_client(role: str, spec: dict, workdir: Path) -> dict:
    completed = subprocess.run(client_command(role, spec, workdir), capture_output=True,
                               text=True, check=True, timeout=900)
    return json.loads(completed.stdout)


def storm_with_shopper(spec: dict, shopper_spec: dict, workdir: Path) -> tuple[dict, dict]:
    """The storm, and the shopper's reads that began while it lasted."""
    stop_file = workdir / f"stop-{uuid.uuid4().hex[:6]}"
    shopper = subprocess.Popen(client_command("shopper", {**shopper_spec,
                                                          "stop_file": str(stop_file)}, workdir),
                               stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # the shopper is reading when the storm begins
        storm = run_client("storm", spec, workdir)
    finally:
        stop_file.touch()
        output, _ = shopper.communicate(timeout=120)
    reads = json.loads(output)["reads"]
    during = [latency for began_at, latency in reads
              if storm["began_at"] <= began_at <= storm["ended_at"]]
    return storm, {"shopper": percentiles_ms(during), "reads": len(during)}


# -- the orchestrator ---------------------------------------------------------------------


def post(url: str, ok: tuple[int, ...] = (200, 201), **kwargs) -> requests.Response:
    """A sign-up step, tried again while the loaded stack answers 5xx (a retried register
    that went through the first time answers 409: good enough)."""
    for attempt in range(8):
        try:
            response = requests.post(url, timeout=60, **kwargs)
            if response.status_code in ok:
                return response
            if response.status_code < 500:
                response.raise_for_status()
        except requests.ConnectionError:
            pass
        time.sleep(0.5 * (attempt + 1))
    raise RuntimeError(f"{url} kept failing")


def sign_up(gateway: str, n: int) -> tuple[str, str]:
    email = f"flash-bench-{n}-{uuid.uuid4().hex[:6]}@bench.test"
    password = "bench-password-1"
    post(f"{gateway}/api/v1/auth/register", ok=(201, 409),
         json={"email": email, "password": password})
    tokens = post(f"{gateway}/api/v1/auth/login", json={"login": email, "password": password})
    authorization = f"Bearer {tokens.json()['access_token']}"
    address = post(f"{gateway}/api/v1/users/me/addresses", json=HOME,
                   headers={"Authorization": authorization})
    return authorization, address.json()["id"]


def open_session(gateway: str, admin: dict, units: int) -> str:
    now = datetime.now(UTC)
    created = requests.post(f"{gateway}/api/v1/admin/flash-sales", headers=admin, timeout=30,
                            json={"name": "bench 秒杀",
                                  "starts_at": (now - timedelta(seconds=1)).isoformat(),
                                  "ends_at": (now + timedelta(hours=1)).isoformat(),
                                  "payment_minutes": 30,
                                  "items": [{"sku": SKU, "quantity": units, "per_user_limit": 1,
                                             "flash_price": {"amount": 990,
                                                             "currency": "CNY"}}]})
    created.raise_for_status()
    session_id = created.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        listed = requests.get(f"{gateway}/api/v1/flash-sales", timeout=30).json()
        item = next(s["items"][0] for s in listed["items"] if s["id"] == session_id)
        if item["stock_status"] == "held":
            return session_id
        time.sleep(0.2)
    raise RuntimeError("the catalog did not hold the session's stock in 120 s")


def ceiling_rps(args: argparse.Namespace, workdir: Path) -> dict:
    ceiling = Gunicorn("ceiling", "apps:bare_app()",
                       argparse.Namespace(workers=2, threads=8), workdir)
    try:
        ceiling.start()
        ceiling.wait_ready()
        parts = urlsplit(ceiling.url)
        completed = subprocess.run(
            [sys.executable, str(BENCH_DIR / "loadgen.py"), "--host", parts.hostname,
             "--port", str(parts.port), "--path", parts.path,
             "--connections", str(args.connections), "--warmup", "1",
             "--duration", str(args.ceiling_seconds)],
            capture_output=True, text=True, check=True, timeout=120)
        return json.loads(completed.stdout)
    finally:
        ceiling.stop()


def settle(roots: dict[str, int], busy_below: float = 0.4, timeout_s: float = 300) -> float:
    """Wait until the stack is nearly idle (under ``busy_below`` cores over 2 s): the
    buyers' sign-ups are events every worker consumes, and a storm measured while they are
    still being digested measures them too. Returns the seconds waited."""
    began = time.monotonic()
    pids = processes.process_tree(roots)
    while time.monotonic() - began < timeout_s:
        before = processes.cpu_seconds(pids)
        time.sleep(2)
        if (processes.cpu_seconds(pids) - before) / 2 < busy_below:
            break
    return time.monotonic() - began


def wait_for_orders(gateway: str, buyers: list[tuple[str, str]],
                    winners: list[tuple[int, str]], timeout_s: float) -> dict[str, str]:
    """attempt id -> order id, once every won attempt has its order (or the timeout)."""
    ordered: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s

    def look(winner: tuple[int, str]) -> tuple[str, str | None]:
        index, attempt_id = winner
        response = requests.get(f"{gateway}/api/v1/flash-sales/attempts/{attempt_id}",
                                headers={"Authorization": buyers[index][0]}, timeout=30)
        body = response.json()
        return attempt_id, body.get("order_id") if body.get("status") == "ordered" else None

    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(ordered) < len(winners) and time.monotonic() < deadline:
            waiting = [w for w in winners if w[1] not in ordered]
            for attempt_id, order_id in pool.map(look, waiting):
                if order_id:
                    ordered[attempt_id] = order_id
            time.sleep(0.1)
    return ordered


def cpu_by_label(pids: list[int]) -> dict[str, float]:
    """CPU seconds used so far by each kind of process of a started stack."""
    used: dict[str, float] = {}
    for pid in pids:
        name = processes.label(pid)
        used[name] = used.get(name, 0.0) + processes.cpu_seconds([pid])
    return used


def forget_redis_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", help="attach to this stack [start one of its own]")
    parser.add_argument("--buyers", type=int, default=2000, help="[%(default)s]")
    parser.add_argument("--units", type=int, default=100, help="[%(default)s]")
    parser.add_argument("--connections", type=int, default=64, help="[%(default)s]")
    parser.add_argument("--ceiling-seconds", type=float, default=5, help="[%(default)s]")
    parser.add_argument("--shopper-seconds", type=float, default=5, help="[%(default)s]")
    parser.add_argument("--web-concurrency", type=int, default=1,
                        help="started stack: gunicorn workers per API [%(default)s, "
                        "as ./platform run]")
    parser.add_argument("--gate-redis", metavar="URL",
                        help="started stack: the flash gate on this Redis "
                        "(FLASH_GATE_REDIS_URL, keys under a prefix of the run's own, removed "
                        "after) [the SQL gate]")
    parser.add_argument("--one-gateway", action="store_true",
                        help="started stack: the storm goes through the gateway the shopper "
                        "uses [to the gateway's flash-sale pool, as the ingress and the "
                        "storefront send it]")
    parser.add_argument("--flash-gateway", metavar="URL",
                        help="attached stack: its flash-sale pool (./platform run: "
                        "http://127.0.0.1:8088) [the storm goes to --gateway]")
    parser.add_argument("--admin", default=processes.ADMIN[0])
    parser.add_argument("--admin-password", default=processes.ADMIN[1])
    # The client processes' spec files.
    parser.add_argument("--storm", help=argparse.SUPPRESS)
    parser.add_argument("--shopper", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.storm or args.shopper:
        client = storm_client if args.storm else shopper_client
        print(json.dumps(client(json.loads(Path(args.storm or args.shopper).read_text()))))
        return 0
    sys.stdout.reconfigure(line_buffering=True)
    workdir = Path(tempfile.mkdtemp(prefix="shop-flash-bench-"))
    redis_prefix = f"flash-bench-{uuid.uuid4().hex[:8]}:"
    stack = None
    try:
        with terminate_on_sigterm():
            if args.gateway:
                stack = processes.attach(args.gateway, None)
            else:
                print(f"starting the stack in {workdir}")
                extra_env = {"AUTH_RATE_LIMIT": "100000/minute"}
                if args.gate_redis:
                    extra_env |= {"FLASH_GATE_REDIS_URL": args.gate_redis,
                                  "FLASH_GATE_REDIS_PREFIX": redis_prefix}
                stack = processes.start(workdir, None, args.web_concurrency,
                                        extra_env=extra_env, flash_pool=not args.one_gateway)
            gateway = stack.gateway
            storm_gateway = (args.flash_gateway if args.gateway else stack.flash_pool) or gateway
            ceiling = ceiling_rps(args, workdir)
            print(f"ceiling: {ceiling['rps']:,.0f} req/s at c={args.connections}")
            tokens = requests.post(f"{gateway}/api/v1/auth/login", timeout=30, json={
                "login": args.admin, "password": args.admin_password}).json()
            admin = {"Authorization": f"Bearer {tokens['access_token']}"}
            began = time.perf_counter()
            if stack.processes:
                # A stack of our own: its user service makes them in bulk (no password
                # hashing per buyer; 2,000 sign-ups through the API take minutes here).
                made = [json.loads(line) for line in stack.cli(
                    "user", "load-test-shoppers", str(args.buyers)).splitlines()]
                buyers = [(f"Bearer {b['access_token']}", b["address_id"]) for b in made]
            else:
                with ThreadPoolExecutor(max_workers=4) as pool:
                    buyers = list(pool.map(lambda n: sign_up(gateway, n), range(args.buyers)))
            print(f"{len(buyers)} buyers signed up in {time.perf_counter() - began:.0f} s")
            session_id = open_session(gateway, admin, args.units)
            if stack.processes:
                settled = settle({n: p.pid for n, p in stack.processes.items()})
                print(f"the stack settled (its workers digested the sign-ups) in {settled:.0f} s")
            product_id = requests.get(f"{gateway}/api/v1/products?limit=1",
                                      timeout=30).json()["items"][0]["id"]
            parts, storm_parts = urlsplit(gateway), urlsplit(storm_gateway)
            spec = {"host": storm_parts.hostname, "port": storm_parts.port,
                    "connections": args.connections,
                    "path": f"/api/v1/flash-sales/{session_id}/items/{SKU}/attempts",
                    "buyers": buyers}
            shopper_spec = {"host": parts.hostname, "port": parts.port,
                            "product_path": f"/api/v1/products/{product_id}"}
            quiet_reads = run_client("shopper", {**shopper_spec,
                                                 "seconds": args.shopper_seconds}, workdir)
            quiet = {"shopper": percentiles_ms([latency for _, latency in
                                                quiet_reads["reads"]])}
            pids = (processes.process_tree({n: p.pid for n, p in stack.processes.items()})
                    if stack.processes else [])
            cpu_before = cpu_by_label(pids)
            storm_began = time.monotonic()
            storm, during = storm_with_shopper(spec, shopper_spec, workdir)
            cpu_storm = {name: seconds - cpu_before.get(name, 0.0)
                         for name, seconds in cpu_by_label(pids).items()}
            answers = storm["answers"]
            winners = [(index, token) for index, status, token, *_ in answers if status == 202]
            sold_out = [t for _, status, kind, t, _ in answers
                        if status == 409 and str(kind).endswith(":sold-out")]
            # When the last unit was won and the last attempt answered (storm's clock).
            last_win = max((at for _, status, *_, at in answers if status == 202), default=0)
            last_answer = max((at for *_, at in answers), default=0)
            after_last_win = sum(1 for *_, at in answers if at > last_win)
            other = len(answers) - len(winners) - len(sold_out)
            ordered = wait_for_orders(gateway, buyers, winners, 300)
            until_orders = time.monotonic() - storm_began
            reconciled = "not run (attached stack)"
            if stack.processes:
                try:
                    reconciled = stack.cli("marketing", "flash-reconcile").splitlines()[-1]
                except RuntimeError as failed:
                    reconciled = str(failed).splitlines()[-1]
    finally:
        if stack is not None and stack.processes:
            stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        if args.gate_redis and not args.gateway:
            forget_redis_keys(args.gate_redis, redis_prefix)
    gate_rps = len(answers) / storm["elapsed_s"]
    sold_p = percentiles_ms(sold_out)
    rows = [
        ("buyers / units / connections", f"{args.buyers} / {args.units} / {args.connections}"),
        ("gate", ("Redis" if args.gate_redis and not args.gateway else
                  "SQL" if not args.gateway else "(attached stack's)")
         + (", the storm through the gateway's flash-sale pool" if storm_gateway != gateway
            else ", the storm through the shoppers' gateway")),
        ("ceiling (bare endpoint)", f"{ceiling['rps']:,.0f} req/s"),
        ("gate answers/s (share of ceiling)",
         f"{gate_rps:,.0f} ({gate_rps / ceiling['rps']:.0%})  target >= 30 %"),
        ("won / sold-out / other answers", f"{len(winners)} / {len(sold_out)} / {other}"),
        ("storm start -> last unit won / last answer",
         f"{last_win:.1f} / {last_answer:.1f} s  (losers after the last win: "
         f"{after_last_win / max(last_answer - last_win, 1e-3):,.0f}/s)"),
        ("sold-out p50 / p99", f"{sold_p['p50_ms']:.1f} / {sold_p['p99_ms']:.1f} ms  "
                               "target p99 <= 20 ms"),
        ("orders (of won attempts)", f"{len(ordered)} of {args.units}"),
        ("oversold / duplicate buyers / duplicate orders",
         f"{max(0, len(ordered) - args.units)} / "
         f"{len(winners) - len({i for i, _ in winners})} / "
         f"{len(ordered) - len(set(ordered.values()))}"),
        ("storm start -> all orders exist", f"{until_orders:.1f} s"),
        ("shopper GET /products/{id} p99: quiet / storm",
         f"{quiet['shopper']['p99_ms']:.1f} / {during['shopper']['p99_ms']:.1f} ms "
         f"({during['shopper']['p99_ms'] / quiet['shopper']['p99_ms']:.1f}x, "
         f"{during['reads']} reads in the storm)  target <= 2x"),
        ("flash-reconcile", reconciled),
    ]
    if cpu_storm:
        top = sorted(cpu_storm.items(), key=lambda kv: -kv[1])[:6]
        rows.append(("stack CPU during the storm (top)",
                     ", ".join(f"{name} {seconds:.1f} s" for name, seconds in top)))
    width = max(len(name) for name, _ in rows)
    print("\n" + "\n".join(f"{name:<{width}}  {value}" for name, value in rows))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH_DIR))
    sys.exit(main())
