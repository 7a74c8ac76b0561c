"""Every process says which code it runs: ``shop_build_info{service,version,commit}``."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from service_runtime.app import create_app
from service_runtime.metrics import _commit, _version
from service_runtime.ops import make_ops_server, ops_app


def build_info(exposition: str) -> list[dict[str, str]]:
    return [sample.labels for family in text_string_to_metric_families(exposition)
            if family.name == "shop_build_info" for sample in family.samples
            if sample.value == 1]


def test_an_api_exports_its_version_and_commit():
    app = create_app("probe")
    exported = build_info(app.test_client().get("/metrics").get_data(as_text=True))
    mine = [labels for labels in exported if labels["service"] == "probe"]
    assert len(mine) == 1
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                          capture_output=True, text=True, check=True).stdout.strip()
    assert mine[0]["commit"] == head[:12]  # a checkout: the commit it is at
    assert mine[0]["version"] == _version("probe")  # no shop-probe package: the runtime's
    assert mine[0]["version"] != "unknown"


def test_a_worker_exports_it_on_its_ops_port():
    server = make_ops_server("127.0.0.1", 0, ops_app("probe-worker", []))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        text = requests.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5).text
    finally:
        server.shutdown()
        server.server_close()
    assert {"service": "probe-worker", "version": _version("probe"),
            "commit": _commit()} in build_info(text)


def test_the_environment_overrides_what_the_checkout_says(monkeypatch):
    monkeypatch.setenv("SHOP_VERSION", "1.2.3")
    monkeypatch.setenv("SHOP_GIT_COMMIT", "abc123")
    _version.cache_clear()
    _commit.cache_clear()
    try:
        assert (_version("order"), _commit()) == ("1.2.3", "abc123")
    finally:
        _version.cache_clear()
        _commit.cache_clear()
