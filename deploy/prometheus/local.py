"""A Prometheus configuration for the processes of ``./platform run`` on this machine.

    python deploy/prometheus/local.py DIR   writes DIR/prometheus.yml

Every API, worker, the gateway and the web pages are scraped on the ports their
ServiceDefinitions name (the ports ./platform run starts them on), with the rules of
deploy/prometheus/rules.yml loaded: stop a worker and TargetDown fires after 3 minutes.
Targets carry a `pod` label named like the Kubernetes pods (``order-worker``), so the
alerts and dashboards read the same here as in a cluster.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus/rules.yml"
JOB = "shop"  # the rules' `up{job=~"(.+/)?shop"}`: the PodMonitor's is <namespace>/shop
SCRAPE_INTERVAL = "5s"  # a laptop: see a stopped worker soon


def targets() -> list[tuple[str, int]]:
    """(process, port) for every process ./platform run starts, except the broker."""
    from api_gateway.routes import SERVICES

    found = []
    for module in ("api_gateway", "shop_web", *SERVICES):
        definition = importlib.import_module(f"{module}.definition").DEFINITION
        found.append((f"{definition.name}-api" if definition.stateful else definition.name,
                      definition.api_port))
        if definition.worker_port:
            found.append((f"{definition.name}-worker", definition.worker_port))
    flash_pool = importlib.import_module("api_gateway.definition").FLASH_POOL
    found.append(("gateway-flash", flash_pool.api_port))
    return found


def config() -> dict:
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "rule_files": [str(RULES)],
        "scrape_configs": [{
            "job_name": JOB,
            "static_configs": [{"targets": [f"127.0.0.1:{port}"], "labels": {"pod": process}}
                               for process, port in targets()],
        }],
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python deploy/prometheus/local.py DIR", file=sys.stderr)
        return 2
    directory = Path(argv[0])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "prometheus.yml").write_text(
        "# Written by deploy/prometheus/local.py for ./platform run --prometheus.\n"
        + yaml.safe_dump(config(), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
