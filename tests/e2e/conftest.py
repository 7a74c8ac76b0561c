"""The whole platform as separate processes, started once for the e2e session.

Every service runs as it does in production: ``python -m <service> migrate``, then
its gunicorn API and its worker, each with its own database, all on one real broker
(with a topic prefix of this session's), behind the gateway.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from otlp_receiver import OtlpReceiver
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's
from e2e_steps import ADMIN_EMAIL, ADMIN_PASSWORD, PAYMENT_TIMEOUT_S, sign_in, sign_up
from event_contracts.topics import PARTITIONS, dead_letter_topic, event_topics
from service_runtime.config import KafkaSettings
from service_runtime.kafka import ensure_topics
from service_runtime.testing.plugin import TEST_TOKEN_TTL_S, test_kafka_settings
from service_runtime.testing.processes import ServiceProcess, free_port

WITH_WORKERS = SERVICES


@dataclass
class Stack:
    gateway: str
    kafka: KafkaSettings
    web: str = ""  # the web process itself; people reach its pages through the gateway
    flash_pool: str = ""  # the gateway's flash-sale pool: the web's flash pages call it
    api_urls: dict[str, str] = field(default_factory=dict)
    worker_urls: dict[str, str] = field(default_factory=dict)
    metrics_dirs: dict[str, Path] = field(default_factory=dict)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    envs: dict[str, dict[str, str]] = field(default_factory=dict)
    log_dir: Path = Path(".")
    traces: OtlpReceiver | None = None  # where every process exports its spans

    def url(self, path: str) -> str:
        return self.gateway + path

    def cli(self, service: str, *args: str) -> None:
        """Run ``python -m <service> <args>`` against that service's database."""
        _run(f"{service}-{args[0]}", [service, *args], self.envs[service], self.log_dir)


def _run(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
    process = ServiceProcess(name, [sys.executable, "-m", *args], env, log_dir).start()
    code = process.wait_exit(120)
    assert code == 0, f"{' '.join(args)} failed:\n{process.logs()[-3000:]}"


@pytest.fixture(scope="session")
def otlp_receiver():
    receiver = OtlpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def stack(kafka_bootstrap, database_factory, tmp_path_factory, otlp_receiver) -> Stack:
    log_dir = tmp_path_factory.mktemp("e2e-logs")
    kafka = test_kafka_settings(kafka_bootstrap)
    ensure_topics(kafka, [*event_topics(), *(dead_letter_topic(s) for s in WITH_WORKERS)],
                  PARTITIONS)
    common = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "KAFKA_SESSION_TIMEOUT_MS": "6000",
        "KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
        "OUTBOX_POLL_INTERVAL_MS": "50",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "PYTHONUNBUFFERED": "1",
        "SHOP_DATA_DIR": str(log_dir / "data"),  # the user worker's local mailbox lives here
        # The session's fixtures sign in once (admin, alice, bob); on a loaded machine the
        # run outlasts the production token lifetime (15 minutes), as CI found.
        "AUTH_ACCESS_TOKEN_TTL_S": str(TEST_TOKEN_TTL_S),
        # Traces on, as in production with a collector: batched in each process (the
        # SDK's BatchSpanProcessor), sent to the test's receiver every 200 ms.
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.url,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        # The big-data export holds back rows younger than this (5 s by default).
        "ANALYTICS_EXPORT_SETTLE_S": "1",
        # Partner webhooks to receivers on this machine (http://127.0.0.1:port); by
        # default only https to public addresses is allowed.
        "ANALYTICS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "ANALYTICS_WEBHOOK_ALLOW_HTTP": "true",
    }
    gateway_port, web_port, flash_pool_port = free_port(), free_port(), free_port()
    stack = Stack(gateway=f"http://127.0.0.1:{gateway_port}", kafka=kafka, log_dir=log_dir,
                  traces=otlp_receiver)
    upstream_env = {}
    ports = {service: free_port() for service in SERVICES}
    # Every process verifies access tokens against the user service's published keys.
    common["AUTH_JWKS_URL"] = f"http://127.0.0.1:{ports['user']}/api/v1/auth/jwks.json"
    common.update({
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "ORDER_PAYMENT_TIMEOUT_S": str(PAYMENT_TIMEOUT_S),
        "ORDER_TIMER_INTERVAL_MS": "500",
        "CART_SERVICE_URL": f"http://127.0.0.1:{ports['cart']}",
        "USER_SERVICE_URL": f"http://127.0.0.1:{ports['user']}",
        "MARKETING_SERVICE_URL": f"http://127.0.0.1:{ports['marketing']}",
        # Providers send their pages and notifications through the public gateway.
        "PAYMENT_PUBLIC_URL": stack.gateway,
        "PAYMENT_NOTIFY_URL": stack.gateway,
        # Every test shopper signs up from this one address; gateway tests cover the limit.
        "AUTH_RATE_LIMIT": "600/minute",
    })
    try:
        for service in SERVICES:
            env = {**common, "DATABASE_URL": database_factory.create(service)}
            stack.envs[service] = env
            _run(f"{service}-migrate", [service, "migrate"], env, log_dir)
            if service == "order":
                _run("order-prices", ["order", "load-demo-prices"], env, log_dir)
            if service == "catalog":
                _run("catalog-demo", ["catalog", "load-demo-catalog"], env, log_dir)
            if service == "user":
                _run("user-admin", ["user", "ensure-admin"], env, log_dir)
            port = ports[service]
            stack.metrics_dirs[service] = log_dir / f"{service}-metrics"
            api_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(stack.metrics_dirs[service])}
            stack.api_urls[service] = f"http://127.0.0.1:{port}"
            upstream_env[f"{service.upper()}_SERVICE_URL"] = stack.api_urls[service]
            stack.processes[f"{service}-api"] = ServiceProcess(
                f"{service}-api", [sys.executable, "-m", service, "api", "--port", str(port)],
                api_env, log_dir).start()
            if service in WITH_WORKERS:
                worker_port = free_port()
                stack.worker_urls[service] = f"http://127.0.0.1:{worker_port}"
                stack.processes[f"{service}-worker"] = ServiceProcess(
                    f"{service}-worker", [sys.executable, "-m", service, "worker"],
                    {**env, "WORKER_PORT": str(worker_port)}, log_dir).start()
        stack.processes["gateway"] = ServiceProcess(
            "gateway", [sys.executable, "-m", "api_gateway", "api", "--port", str(gateway_port)],
            # Page requests go gateway -> web -> gateway: with as few threads as the services
            # get (2 x 2), a page's parallel asset and API requests could hold every gateway
            # thread waiting on web while web waits on the gateway (CI saw a 504 "web did
            # not answer in time"); production runs 2 x 4 (the Procfile), this runs 2 x 8.
            {**common, **upstream_env, "WEB_SERVICE_URL": f"http://127.0.0.1:{web_port}",
             "GUNICORN_THREADS": "8"},
            log_dir).start()
        # The gateway's flash-sale pool, one worker: the storefront's flash pages call it.
        stack.flash_pool = f"http://127.0.0.1:{flash_pool_port}"
        stack.processes["gateway-flash"] = ServiceProcess(
            "gateway-flash", [sys.executable, "-m", "api_gateway.flash_pool", "api",
                              "--port", str(flash_pool_port)],
            {**common, **upstream_env, "WEB_CONCURRENCY": "1"}, log_dir).start()
        # The storefront and admin console: a client of the gateway like any other.
        stack.processes["web"] = ServiceProcess(
            "web", [sys.executable, "-m", "shop_web", "api", "--port", str(web_port)],
            {**common, "WEB_GATEWAY_URL": stack.gateway,
             "WEB_FLASH_GATEWAY_URL": stack.flash_pool}, log_dir).start()
        stack.web = f"http://127.0.0.1:{web_port}"

        for name, process in stack.processes.items():
            service = name.rsplit("-", 1)[0]
            base = (stack.gateway if name == "gateway" else stack.web if name == "web" else
                    stack.flash_pool if name == "gateway-flash" else
                    stack.worker_urls[service] if name.endswith("-worker") else
                    stack.api_urls[service])
            process.wait_healthy(f"{base}/healthz", timeout=90)
        yield stack
    finally:
        for process in stack.processes.values():
            try:
                process.terminate(timeout=30)
            except Exception:
                process.kill()
        if os.environ.get("E2E_KEEP_LOGS"):
            print(f"e2e logs in {log_dir}")


@pytest.fixture(scope="session")
def admin(stack) -> dict[str, str]:
    return sign_in(stack, ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture(scope="session")
def alice(stack) -> dict[str, str]:
    return sign_up(stack, "alice")


@pytest.fixture(scope="session")
def bob(stack) -> dict[str, str]:
    return sign_up(stack, "bob")


@pytest.fixture
def http() -> requests.Session:
    """A client with keep-alive, as apps are: an idempotent request on a connection the
    server closed as idle at that very moment is sent again (a client app retries that
    too; CI saw a GET fail with "Remote end closed connection without response")."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=Retry(total=2, connect=2, read=2, status=0, other=0,
                                            allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
                                            raise_on_status=False))
    session.mount("http://", adapter)
    yield session
    session.close()


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session (each test gets its own context: its own cookies)."""
    from playwright.sync_api import sync_playwright

    from browser import chromium_path

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(),
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture
def page(request, browser, stack):
    """A new visitor's browser tab on the storefront (through the gateway). When its test
    fails, what the tab showed last and the errors the web and the gateway logged are
    printed with the failure (a browser test's assertion alone rarely says why)."""
    from browser import new_page

    tab = new_page(browser, stack.gateway)
    yield tab
    if getattr(request.node, "call_failed", False):
        _print_what_the_page_showed(tab, stack)
    tab.context.close()


def _print_what_the_page_showed(tab, stack: Stack) -> None:
    try:
        print(f"the tab was at {tab.url}:\n{tab.locator('body').inner_text(timeout=5000)[:3000]}")
    except Exception as error:  # a diagnostic must not hide the failure
        print(f"the tab could not be read: {error}")
    for name in ("web", "gateway"):
        process = stack.processes.get(name)
        if process is not None:
            errors = [line for line in process.logs().splitlines()
                      if "ERROR" in line or " 50" in line or "Traceback" in line]
            print(f"{name}'s last error lines:\n" + "\n".join(errors[-30:]))
