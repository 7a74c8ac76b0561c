"""``./platform run --prometheus``: a local Prometheus (Debian's) scraping every process the
Procfile starts, with the alert rules loaded. The process manager is replaced by a script
that records what it was asked to start; promtool checks the configuration it got."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy/grafana"))
from metric_names import load, promtool  # noqa: E402

local = load(ROOT / "deploy/prometheus/local.py", "local_prometheus")
PROCFILE_PROCESSES = [line.split(":", 1)[0] for line in (ROOT / "Procfile").read_text().splitlines()
                      if line and not line.startswith("#")]


def test_every_process_but_the_broker_is_scraped_with_the_rules_loaded():
    config = local.config()
    assert config["rule_files"] == [str(ROOT / "deploy/prometheus/rules.yml")]
    [job] = config["scrape_configs"]
    pods = [group["labels"]["pod"] for group in job["static_configs"]]
    assert sorted(pods) == sorted(p for p in PROCFILE_PROCESSES if p != "broker")
    ports = [group["targets"][0] for group in job["static_configs"]]
    assert len(set(ports)) == len(ports)


def test_platform_run_prometheus_adds_prometheus_to_the_processes(tmp_path):
    tool = promtool()  # Debian's prometheus package brings both binaries
    started = tmp_path / "started"
    manager = tmp_path / "process-manager"
    manager.write_text(f'#!/bin/sh\necho "$@" > {started}\n')
    manager.chmod(0o755)
    clean = {k: v for k, v in os.environ.items()
             if not k.endswith("DATABASE_URL") and not k.startswith("KAFKA_")}
    directory = tmp_path / "prometheus"
    result = subprocess.run(
        [str(ROOT / "platform"), "run", "--prometheus"], capture_output=True, text=True,
        timeout=600, env={**clean, "SHOP_DATA_DIR": str(tmp_path / "data"),
                          "SHOP_PROCESS_MANAGER": str(manager),
                          "PROMETHEUS_DIR": str(directory)})
    assert result.returncode == 0, result.stderr[-3000:]
    procfile = directory / "Procfile"
    assert started.read_text().split() == ["start", "-f", str(procfile), *PROCFILE_PROCESSES,
                                           "prometheus"]
    line = procfile.read_text().splitlines()[-1]
    assert line.startswith("prometheus: exec prometheus --config.file=")
    assert yaml.safe_load((directory / "prometheus.yml").read_text()) == local.config()
    checked = subprocess.run([tool, "check", "config", str(directory / "prometheus.yml")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
