"""A service API under gunicorn with several workers (the production default): the app is
imported once, in the master, and the workers share it; each worker still serves and
counts its own requests, and ``/metrics`` adds them all up."""

from __future__ import annotations

import sys
from pathlib import Path

import requests

from service_runtime.testing.processes import ServiceProcess, free_port, wait_until

APP = '''
import os

from flask import jsonify

from service_runtime.app import create_app as create_runtime_app


def create_app():
    with open(os.environ["FACTORY_LOG"], "a") as log:
        log.write(f"{os.getpid()}\\n")
    app = create_runtime_app("preloaded")
    app.add_url_rule("/pid", "pid", lambda: jsonify(pid=os.getpid()))
    return app
'''


def requests_counted(metrics: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("http_requests_total{") and 'route="/pid"' in line)


def test_workers_share_the_app_their_master_loaded_and_metrics_add_up(tmp_path: Path):
    (tmp_path / "preloaded_app.py").write_text(APP)
    factory_log = tmp_path / "factory.log"
    port = free_port()
    process = ServiceProcess(
        "preloaded",
        [sys.executable, "-m", "gunicorn", "-c", "python:service_runtime.gunicorn_conf",
         "preloaded_app:create_app()"],
        {"PORT": str(port), "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "2",
         "PYTHONPATH": str(tmp_path), "FACTORY_LOG": str(factory_log),
         "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")},
        tmp_path).start()
    try:
        base = f"http://127.0.0.1:{port}"
        process.wait_healthy(f"{base}/healthz")
        served_by: list[int] = []

        def both_workers_served() -> bool:
            # A new connection each time: the kernel hands them to either worker.
            served_by.append(requests.get(f"{base}/pid", timeout=5).json()["pid"])
            return len(set(served_by)) == 2

        wait_until(both_workers_served, timeout=30, interval=0.01,
                   message="requests served by both workers")
        assert factory_log.read_text().split() == [str(process.pid)], \
            "the app is built once, by the master, not by each worker"
        assert process.pid not in served_by
        assert requests_counted(requests.get(f"{base}/metrics", timeout=5).text) == \
            len(served_by)
    finally:
        process.terminate()
